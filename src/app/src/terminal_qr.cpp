#include "terminal_qr.hpp"

#include <fcntl.h>
#include <qrencode.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

namespace hsm2fa::app {
namespace {

struct QrDeleter {
  void operator()(QRcode* qr) const noexcept {
    secure_wipe(qr->data,
                static_cast<std::size_t>(qr->width) * static_cast<std::size_t>(qr->width));
    QRcode_free(qr);
  }
};

std::unique_ptr<QRcode, QrDeleter> encode(const SecretBytes& text) {
  SecretBytes terminated(text.size() + 1);  // QRencode wants a C string
  std::copy(text.data(), text.data() + text.size(), terminated.data());
  return std::unique_ptr<QRcode, QrDeleter>(QRcode_encodeString(
      reinterpret_cast<const char*>(terminated.data()), 0, QR_ECLEVEL_M, QR_MODE_8, 1));
}

}  // namespace

Status write_qr_svg(const SecretBytes& text, const std::filesystem::path& file) {
  auto qr = encode(text);
  if (!qr) return make_error(Errc::internal, "the QR code could not be encoded");
  constexpr int kQuiet = 4;  // the quiet zone the QR standard asks for
  const int width = qr->width, size = width + 2 * kQuiet;
  std::string svg =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
      std::to_string(size) + " " + std::to_string(size) +
      "\" shape-rendering=\"crispEdges\">\n<rect width=\"100%\" "
      "height=\"100%\" fill=\"#fff\"/>\n<path fill=\"#000\" d=\"";
  for (int y = 0; y < width; ++y) {
    for (int x = 0; x < width; ++x) {
      if ((qr->data[y * width + x] & 1) == 0) continue;
      svg += "M" + std::to_string(x + kQuiet) + " " + std::to_string(y + kQuiet) + "h1v1h-1z";
    }
  }
  svg += "\"/>\n</svg>\n";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    secure_wipe(svg.data(), svg.size());
    return make_error(err == EEXIST ? Errc::conflict : Errc::internal,
                      file.string() + ": " + std::strerror(err));
  }
  std::size_t done = 0;
  while (done < svg.size()) {
    const ssize_t n = ::write(fd, svg.data() + done, svg.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  const bool ok = done == svg.size() && ::fsync(fd) == 0;
  ::close(fd);
  secure_wipe(svg.data(), svg.size());
  if (!ok) {
    std::filesystem::remove(file);
    return make_error(Errc::internal, file.string() + ": could not be written whole");
  }
  return {};
}

Status print_qr(const SecretBytes& text, std::FILE* out) {
  auto qr = encode(text);
  if (!qr) return make_error(Errc::internal, "the QR code could not be encoded");
  const int width = qr->width;
  constexpr int kQuiet = 2;  // light modules around the code, so scanners find its edges
  auto dark = [&](int x, int y) {
    if (x < 0 || y < 0 || x >= width || y >= width) return false;
    return (qr->data[y * width + x] & 1) != 0;
  };
  // Light text on a dark terminal is the common case: print light modules as blocks.
  for (int y = -kQuiet; y < width + kQuiet; y += 2) {
    for (int x = -kQuiet; x < width + kQuiet; ++x) {
      const bool top = !dark(x, y), bottom = !dark(x, y + 1);
      std::fputs(top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ", out);
    }
    std::fputc('\n', out);
  }
  return {};
}

}  // namespace hsm2fa::app
