# Trang trình chiếu (/present): lời của chính màn hình quanh các bước của workshop, vốn lấy từ
# templates/workshop/steps.vi.toml.
present-page-title = oversold: bước { $number }, { $title }
present-steps-label = Các bước
present-back = ← lùi
present-next = tiếp →
present-dashboard = bảng điều khiển (D)
present-result-label = Kết quả
present-run-summary = { $duration } ms cho { $requests } yêu cầu
present-room-should-see = Cả phòng cần thấy
present-run = Chạy (R)
present-run-again = Chạy lại (R)
present-single-instance = (lab này chỉ chạy một instance: mọi yêu cầu đều tới nó)
present-nodes-quorum = { $up } trên { $total } node Redis đang chạy; Redlock cần { $quorum }: đủ quorum
present-nodes-no-quorum = { $up } trên { $total } node Redis đang chạy; Redlock cần { $quorum }: KHÔNG ĐỦ QUORUM
present-join-label = Vào phòng
present-join-hint = quét mã để vào: { $url }
# static/present.js: script điền { $requests } và { $strategy }.
present-js-running = Đang chạy { $requests } yêu cầu với { $strategy }…
present-js-server-answered = máy chủ trả lời { $status }
