// Secret bytes (a seed during pairing, a PIN, a code): wiped on destruction and on move-from,
// never copied implicitly, never formatted into a log.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace hsm2fa {

// Overwrites memory in a way the optimiser may not elide.
void secure_wipe(void* data, std::size_t size) noexcept;

// Memory for secrets: whole pages of their own, locked in RAM (mlock: never swapped) and
// excluded from core dumps (MADV_DONTDUMP), wiped before they are returned. Locking is best
// effort: past RLIMIT_MEMLOCK the pages stay unlocked and one warning is logged, because
// refusing to serve would not make a seed safer. Throws std::bad_alloc like operator new.
void* allocate_secret_pages(std::size_t size);
void free_secret_pages(void* data, std::size_t size) noexcept;

template <class T>
struct SecretAllocator {
  using value_type = T;
  SecretAllocator() = default;
  template <class U>
  SecretAllocator(const SecretAllocator<U>&) noexcept {}  // NOLINT: allocator rebind
  T* allocate(std::size_t n) { return static_cast<T*>(allocate_secret_pages(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { free_secret_pages(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const SecretAllocator<U>&) const noexcept {
    return true;
  }
};

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t size) : bytes_(size) {}
  SecretBytes(std::span<const std::uint8_t> bytes) : bytes_(bytes.begin(), bytes.end()) {}
  static SecretBytes from_string(std::string_view s) {
    return SecretBytes({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
  }
  ~SecretBytes() { wipe(); }

  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
    other.bytes_.clear();
  }
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      wipe();
      bytes_ = std::move(other.bytes_);
      other.bytes_.clear();
    }
    return *this;
  }

  std::uint8_t* data() noexcept { return bytes_.data(); }
  const std::uint8_t* data() const noexcept { return bytes_.data(); }
  std::size_t size() const noexcept { return bytes_.size(); }
  bool empty() const noexcept { return bytes_.empty(); }
  std::span<const std::uint8_t> span() const noexcept { return bytes_; }
  std::string_view view() const noexcept {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }
  // Shrinks without reallocating; the cut-off tail is wiped.
  void truncate(std::size_t size) noexcept {
    if (size < bytes_.size()) {
      secure_wipe(bytes_.data() + size, bytes_.size() - size);
      bytes_.resize(size);
    }
  }

 private:
  void wipe() noexcept {
    if (!bytes_.empty()) secure_wipe(bytes_.data(), bytes_.size());
  }
  std::vector<std::uint8_t, SecretAllocator<std::uint8_t>> bytes_;
};

}  // namespace hsm2fa
