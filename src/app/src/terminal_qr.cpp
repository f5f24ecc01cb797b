#include "terminal_qr.hpp"

#include <qrencode.h>

namespace hsm2fa::app {

Status print_qr(const SecretBytes& text, std::FILE* out) {
  SecretBytes terminated(text.size() + 1);  // QRencode wants a C string
  std::copy(text.data(), text.data() + text.size(), terminated.data());
  QRcode* qr = QRcode_encodeString(reinterpret_cast<const char*>(terminated.data()), 0,
                                   QR_ECLEVEL_M, QR_MODE_8, 1);
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
  secure_wipe(qr->data, static_cast<std::size_t>(width) * static_cast<std::size_t>(width));
  QRcode_free(qr);
  return {};
}

}  // namespace hsm2fa::app
