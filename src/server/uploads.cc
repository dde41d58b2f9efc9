#include "server/uploads.h"

#include <fmt/format.h>

#include <charconv>

namespace canbao::server {

UploadSlot::UploadSlot(Api& api, Api::Ctx& c, const std::string& kind) : running_(api.uploads_running) {
  int n = running_.fetch_add(1);
  if (n >= std::max(1, api.opt.upload_slots)) {
    running_.fetch_sub(1);
    c.res.set_header("Retry-After", "30");
    fail(429, "too_many_requests", "正在处理其他导入，请稍后再试");
  }
  try {
    if (api.opt.on_upload) api.opt.on_upload(kind);
  } catch (...) {
    running_.fetch_sub(1);
    throw;
  }
}

UploadSlot::~UploadSlot() { running_.fetch_sub(1); }

namespace {
void replace_all(std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
}
}  // namespace

void fail_bad_file(const io::Error& e, const std::string& temp_path, const std::string& shown,
                   const std::string& field) {
  std::string msg = e.zh.empty() ? std::string("无法读取上传的文件") : e.zh;
  replace_all(msg, temp_path, shown.empty() ? "上传的文件" : shown);
  // Anything else under the upload directory (a reader naming a part by path).
  if (msg.find("canbao-upload-") != std::string::npos) msg = "无法读取上传的文件，请检查文件格式后重试";
  ApiError err{422, "bad_file", msg, field};
  if (e.row > 0) err.row = e.row;
  throw err;
}

std::string upload_base_name(const std::string& filename) {
  size_t slash = filename.find_last_of("/\\");
  std::string base = slash == std::string::npos ? filename : filename.substr(slash + 1);
  if (base == "." || base == "..") base.clear();
  return base;
}

int64_t path_id(const Api::Ctx& c, size_t i, const char* not_found) {
  std::string s = c.req.matches[i].str();
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) fail(404, "not_found", not_found);
  return v;
}

}  // namespace canbao::server
