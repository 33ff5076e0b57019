# Phần đầu trang, thanh điều hướng và những từ mọi trang dùng chung.
tagline = mười yêu cầu, một vé: xem cuộc đua, rồi chặn nó lại
nav-present = Chế độ trình chiếu
nav-room = Phòng
nav-handouts = Tài liệu phát tay
nav-login = Đăng nhập quản trị
nav-dashboard = Bảng điều khiển
lang-switch-label = Ngôn ngữ
lang-switch-title = Đọc trang này bằng { $name }
back-to-dashboard = Quay lại bảng điều khiển
