#include "remote_write_decode.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <memory>
#include <optional>

#include <climits>

#include <google/protobuf/arena.h>
#include <google/protobuf/io/coded_stream.h>
#include <snappy.h>

#include <google/protobuf/wire_format_lite.h>

#include "proto/remote_write.pb.h"

namespace sloguard::collector::detail {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s.substr(0, 64)) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '"' || c == '\\') {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  if (s.size() > 64) out += "...";
  out += '"';
  return out;
}

struct ThreadState {
  std::string decoded;
  std::unique_ptr<google::protobuf::Arena> arena;
};

// Counts the elements of a WriteRequest (series, and the repeated fields inside each) from
// the wire format, without building anything. nullopt when the wire format is broken.
std::optional<uint64_t> count_elements(const std::string& data) {
  using google::protobuf::io::CodedInputStream;
  CodedInputStream in(reinterpret_cast<const uint8_t*>(data.data()), static_cast<int>(data.size()));
  in.SetTotalBytesLimit(INT_MAX);
  uint64_t n = 0;
  for (uint32_t tag; (tag = in.ReadTag()) != 0;) {
    if ((tag >> 3) == 1 && (tag & 7) == 2) {
      uint32_t len = 0;
      if (!in.ReadVarint32(&len)) return std::nullopt;
      ++n;
      auto limit = in.PushLimit(static_cast<int>(len));
      for (uint32_t inner; (inner = in.ReadTag()) != 0;) {
        ++n;
        if (!google::protobuf::internal::WireFormatLite::SkipField(&in, inner)) return std::nullopt;
      }
      if (!in.ConsumedEntireMessage()) return std::nullopt;
      in.PopLimit(limit);
    } else if (!google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) {
      return std::nullopt;
    }
    if (n > kMaxElementsPerRequest) return n;
  }
  if (!in.ConsumedEntireMessage()) return std::nullopt;
  return n;
}

ThreadState& thread_state() {
  thread_local ThreadState state;
  return state;
}

}  // namespace

void release_decoded() {
  ThreadState& ts = thread_state();
  ts.arena.reset();
  if (ts.decoded.capacity() > 4u * 1024 * 1024) std::string().swap(ts.decoded);
}

bool is_stale_marker(double v) { return std::bit_cast<uint64_t>(v) == 0x7ff0000000000002ULL; }

void decode_write_request(std::string_view body, const RemoteWriteHeaders& headers, size_t max_decoded_bytes,
                          DecodedRequest& out) {
  out.status = 204;
  out.error.clear();
  out.series.clear();
  out.labels.clear();
  out.samples.clear();
  out.native_histograms = 0;
  out.exemplars = 0;
  auto fail = [&](int status, std::string msg) {
    out.status = status;
    out.error = std::move(msg);
    out.series.clear();
  };

  const std::string type = lower(headers.content_type);
  if (type.find("proto=") != std::string::npos && type.find("proto=prometheus.writerequest") == std::string::npos) {
    return fail(415, "Content-Type " + std::string(headers.content_type) +
                         ": only remote_write 1.0 (prometheus.WriteRequest) is supported; configure the sender "
                         "for protobuf_message: prometheus.WriteRequest");
  }
  if (!type.empty() && !type.starts_with("application/x-protobuf")) {
    return fail(415, "Content-Type " + std::string(headers.content_type) +
                         ": expected application/x-protobuf (a snappy-compressed protobuf WriteRequest)");
  }
  const std::string encoding = lower(headers.content_encoding);
  if (!encoding.empty() && encoding != "snappy") {
    return fail(415, "Content-Encoding " + std::string(headers.content_encoding) +
                         ": expected snappy (remote_write 1.0 bodies are snappy block-compressed)");
  }

  size_t decoded_size = 0;
  if (!snappy::GetUncompressedLength(body.data(), body.size(), &decoded_size)) {
    return fail(400, "body is not snappy-compressed (block format): its length header does not decode");
  }
  if (decoded_size > std::min<size_t>(max_decoded_bytes, INT_MAX)) {
    return fail(413, "body decodes to " + std::to_string(decoded_size) + " bytes, over remote_write.max_decoded_bytes (" +
                         std::to_string(max_decoded_bytes) + ")");
  }
  ThreadState& ts = thread_state();
  ts.decoded.resize(decoded_size);
  if (!snappy::RawUncompress(body.data(), body.size(), ts.decoded.data())) {
    return fail(400, "body is not snappy-compressed (block format): the data is corrupt or truncated");
  }
  std::optional<uint64_t> elements = count_elements(ts.decoded);
  if (elements && *elements > kMaxElementsPerRequest) {
    return fail(413, "request holds more than " + std::to_string(kMaxElementsPerRequest) +
                         " series, labels and samples; send smaller batches (queue_config.max_samples_per_send)");
  }
  google::protobuf::ArenaOptions ao;
  ao.start_block_size = 64 * 1024;
  ao.max_block_size = 4 * 1024 * 1024;
  ts.arena = std::make_unique<google::protobuf::Arena>(ao);
  auto& req = *google::protobuf::Arena::CreateMessage<sloguard::prompb::WriteRequest>(ts.arena.get());
  if (!elements || !req.ParseFromArray(ts.decoded.data(), static_cast<int>(ts.decoded.size()))) {
    return fail(400, "body (" + std::to_string(decoded_size) +
                         " bytes after snappy) is not a protobuf prometheus.WriteRequest: truncated, or a "
                         "field of the wrong wire type");
  }
  const auto& unknown = req.GetReflection()->GetUnknownFields(req);
  if (!unknown.empty()) {
    return fail(400, "body is not a remote_write 1.0 prometheus.WriteRequest: it has field " +
                         std::to_string(unknown.field(0).number()) +
                         ", which WriteRequest does not (a remote_write 2.0 request has fields 4 and 5)");
  }

  out.series.reserve(static_cast<size_t>(req.timeseries_size()));
  for (int i = 0; i < req.timeseries_size(); ++i) {
    const auto& ts_msg = req.timeseries(i);
    auto where = [i] { return "timeseries[" + std::to_string(i) + "]"; };
    SeriesView sv;
    sv.index = static_cast<size_t>(i);
    sv.label_begin = out.labels.size();
    bool sorted = true;
    if (ts_msg.samples_size() == 0 && ts_msg.histograms_size() == 0 && ts_msg.exemplars_size() == 0) continue;
    bool has_empty = false;
    for (int j = 0; j < ts_msg.labels_size(); ++j) {
      const auto& l = ts_msg.labels(j);
      if (l.name().empty()) {
        return fail(400, where() + ".labels[" + std::to_string(j) + "]: empty label name");
      }
      if (out.labels.size() > sv.label_begin && !(out.labels.back().first < std::string_view(l.name()))) sorted = false;
      has_empty = has_empty || l.value().empty();
      out.labels.emplace_back(l.name(), l.value());
    }
    auto first = out.labels.begin() + static_cast<std::ptrdiff_t>(sv.label_begin);
    auto last = out.labels.end();
    if (!sorted) std::sort(first, last, [](const LabelView& a, const LabelView& b) { return a.first < b.first; });
    for (auto it = first; it != last; ++it) {
      if (it + 1 != last && it->first == (it + 1)->first) {
        return fail(400, where() + ".labels: label name " + quoted(it->first) + " appears more than once");
      }
      if (it->first == "__name__") sv.name = it->second;
    }
    if (has_empty) {  // an empty value is the same as no label (Prometheus' data model)
      out.labels.erase(std::remove_if(first, last, [](const LabelView& l) { return l.second.empty(); }), last);
    }
    sv.label_end = out.labels.size();
    if (sv.name.empty() && (ts_msg.samples_size() > 0 || ts_msg.histograms_size() > 0)) {
      return fail(400, where() + ".labels: no __name__ label (every series must name its metric)");
    }
    sv.sample_begin = out.samples.size();
    for (const auto& s : ts_msg.samples()) out.samples.push_back(SampleView{s.value(), s.timestamp()});
    sv.sample_end = out.samples.size();
    out.native_histograms += static_cast<uint64_t>(ts_msg.histograms_size());
    out.exemplars += static_cast<uint64_t>(ts_msg.exemplars_size());
    out.series.push_back(sv);
  }
}

}  // namespace sloguard::collector::detail
