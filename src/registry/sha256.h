// SHA-256 (FIPS 180-4), self-contained, for import file fingerprints.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace canbao::registry {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t n);
  std::array<uint8_t, 32> finish();
  std::string hex();  // finish() as 64 lowercase hex digits

 private:
  void block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t used_ = 0;
  uint64_t total_ = 0;
};

std::string sha256_hex(std::string_view data);
// Hex SHA-256 of a file's bytes; throws std::runtime_error when unreadable.
std::string sha256_file(const std::string& path);

}  // namespace canbao::registry
