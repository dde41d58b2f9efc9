#include "io/assess_roster.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "assess/report.h"

namespace canbao::io {

namespace {
// Rows travel in chunks around a fixed ring: the reader fills a free chunk
// with raw rows, a worker turns it into output bytes and error lines, the
// calling thread writes it and frees it. A chunk's rows are one RowBlock (one
// byte buffer and offsets, not a string per cell: a worker streams through
// memory the other core wrote instead of chasing ~12 allocations a row), and
// the block and output buffer keep their capacity from lap to lap, so a warm
// run allocates nothing per row. Sequence numbers (not arrival) decide the
// order of the output.
struct Chunk {
  enum State { kFree, kRead, kWorking, kDone } state = kFree;
  RowBlock rows;  // the chunk's rows back to back: no string per cell, one stream to read
  bool last = false;
  double progress = 0;
  std::string out;
  std::vector<RowError> errors;  // rejected rows' problems, in row order
  int64_t good = 0, bad = 0;
};
constexpr size_t kChunkRows = 4096;
// A chunk also ends at this much cell text, so a file of huge cells keeps
// the ring's memory bounded.
constexpr size_t kChunkBytes = 1 << 20;
}  // namespace

RosterAssessResult assess_roster(RosterReader& reader, const Policy& p, Date as_of, const RosterAssessOptions& o,
                                 const RosterAssessSink& sink) {
  const unsigned workers = o.workers ? o.workers : std::max(1u, std::thread::hardware_concurrency());
  const bool jsonl = o.format == AssessFormat::jsonl;
  const bool trace_on = jsonl && o.trace;
  std::vector<Chunk> ring(2 * workers + 2);
  std::mutex mu;
  std::condition_variable cv;
  uint64_t next_work = 0;  // sequence number of the chunk the next idle worker takes
  bool finished = false;   // the last chunk is taken: idle workers stop
  bool stop = false;       // the sink threw: everyone stops
  RosterAssessResult res;

  // The file is read by one thread: CSV cannot be split safely without
  // reading it (a quoted cell may hold a line break).
  std::thread producer([&] {
    for (uint64_t seq = 0;; ++seq) {
      Chunk& c = ring[seq % ring.size()];
      {
        std::unique_lock lk(mu);
        cv.wait(lk, [&] { return stop || c.state == Chunk::kFree; });
        if (stop) return;
      }
      c.rows.clear();
      bool more = true;
      try {
        more = reader.next_rows(c.rows, kChunkRows, kChunkBytes);
      } catch (const Error& e) {
        std::lock_guard lk(mu);
        res.read_error = e.what();
        more = false;
      }
      c.last = !more;
      c.progress = reader.progress();
      std::lock_guard lk(mu);
      c.state = Chunk::kRead;
      cv.notify_all();
      if (c.last) return;
    }
  });
  auto work = [&] {
    auto rows = reader.worker();
    RosterRecord rec;
    Assessment a;
    Trace trace;
    for (;;) {
      Chunk* c;
      {
        std::unique_lock lk(mu);
        cv.wait(lk, [&] { return stop || finished || ring[next_work % ring.size()].state == Chunk::kRead; });
        if (stop || finished) return;
        c = &ring[next_work % ring.size()];
        c->state = Chunk::kWorking;
        ++next_work;
        if (c->last) finished = true;
        cv.notify_all();
      }
      c->out.clear();
      c->errors.clear();
      c->good = c->bad = 0;
      for (size_t i = 0, n = c->rows.size(); i < n; ++i) {
        bool ok = false;
        rows->read(c->rows.row(i), rec, ok, c->errors);
        if (!ok) { ++c->bad; continue; }
        const PersonFacts f = rec.facts();
        trace.clear();
        assess(p, f, as_of, a, trace_on ? &trace : nullptr);
        if (jsonl) append_jsonl(p, f, a, trace_on ? &trace : nullptr, c->out);
        else append_csv(p, f, a, c->out);
        ++c->good;
      }
      std::lock_guard lk(mu);
      c->state = Chunk::kDone;
      cv.notify_all();
    }
  };
  std::vector<std::thread> pool;
  for (unsigned w = 0; w < workers; ++w) pool.emplace_back(work);
  auto join = [&] {
    producer.join();
    for (auto& t : pool) t.join();
  };

  try {
    if (!jsonl) {
      std::string head;
      append_csv_header(head);
      sink.write(head);
    }
    for (uint64_t seq = 0;; ++seq) {
      Chunk& c = ring[seq % ring.size()];
      {
        std::unique_lock lk(mu);
        cv.wait(lk, [&] { return c.state == Chunk::kDone; });
      }
      sink.write(c.out);
      for (const auto& e : c.errors) sink.row_error(e);
      res.good += c.good;
      res.bad += c.bad;
      if (sink.progress) sink.progress(res.good + res.bad, c.progress);
      const bool last = c.last;
      {
        std::lock_guard lk(mu);
        c.state = Chunk::kFree;
        cv.notify_all();
      }
      if (last) break;
    }
  } catch (...) {
    {
      std::lock_guard lk(mu);
      stop = true;
      cv.notify_all();
    }
    join();
    throw;
  }
  join();
  return res;
}

}  // namespace canbao::io
