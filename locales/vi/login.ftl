# Trang đăng nhập của quản trị viên.
login-title = oversold: quản trị viên đăng nhập
login-heading = Quản trị viên đăng nhập
login-explain = Máy chủ này có mã quản trị: muốn đặt lại sự kiện hay chạy thí nghiệm đều cần mã quản trị (ADMIN_TOKEN, do người khởi động máy chủ đặt). Đăng nhập sẽ cho trình duyệt này một phiên dùng trong { $hours } giờ, lưu trong một cookie chỉ gửi về trang này; bản thân mã không bao giờ được lưu lại. Mỗi phiên bản của phòng lab giữ danh sách đăng nhập riêng: hãy đăng nhập trên đúng phiên bản có bảng điều khiển bạn đang dùng.
login-signed-in = Trình duyệt này đã đăng nhập.
login-sign-out = Đăng xuất
login-token = Mã quản trị
login-sign-in = Đăng nhập
login-not-needed = Máy chủ này chỉ lắng nghe trên loopback và không có mã quản trị: mọi nút đều dùng được mà không cần đăng nhập.
