// Uploads (imports, reconciliation files): how many are read at once, and
// how a file the readers refuse is answered.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>

#include "io/table.h"
#include "server/api.h"

namespace canbao::server {

// One of the server's ServerOptions::upload_slots for the life of the
// object; 429 too_many_requests with one Retry-After when all are taken.
// Reading a workbook may inflate it, so the slots bound what uploads as a
// whole can cost; refusing is cheaper than queueing a request thread.
class UploadSlot {
 public:
  UploadSlot(Api& api, Api::Ctx& c, const std::string& kind);
  ~UploadSlot();
  UploadSlot(const UploadSlot&) = delete;
  UploadSlot& operator=(const UploadSlot&) = delete;

 private:
  std::atomic<int>& running_;
};

// 422 bad_file with the reader's Chinese message, where the temporary path
// the server wrote the upload to is replaced by the file's own name (a
// message must never show the server's directories).
[[noreturn]] void fail_bad_file(const io::Error& e, const std::string& temp_path, const std::string& shown,
                                const std::string& field = "file");

// The file name the user uploaded, without any directory.
std::string upload_base_name(const std::string& filename);

// The id in URL group `i` (\d+): 404 with `not_found` when past int64 (an id
// that large names nothing), instead of std::stoll's out_of_range → 500.
int64_t path_id(const Api::Ctx& c, size_t i, const char* not_found);

}  // namespace canbao::server
