#include "hsm2fa/secret.hpp"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <new>

namespace hsm2fa {
namespace {

std::size_t page_rounded(std::size_t size) {
  static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return (size + page - 1) / page * page;
}

}  // namespace

void secure_wipe(void* data, std::size_t size) noexcept { OPENSSL_cleanse(data, size); }

void* allocate_secret_pages(std::size_t size) {
  if (size == 0) size = 1;
  const std::size_t length = page_rounded(size);
  void* pages = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pages == MAP_FAILED) throw std::bad_alloc();
  (void)::madvise(pages, length, MADV_DONTDUMP);
  if (::mlock(pages, length) != 0) {
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true)) {
      spdlog::warn("secrets: cannot lock memory (RLIMIT_MEMLOCK?): secret pages may be swapped");
    }
  }
  return pages;
}

void free_secret_pages(void* data, std::size_t size) noexcept {
  if (data == nullptr) return;
  if (size == 0) size = 1;
  const std::size_t length = page_rounded(size);
  OPENSSL_cleanse(data, length);
  ::munlock(data, length);
  ::munmap(data, length);
}

}  // namespace hsm2fa
