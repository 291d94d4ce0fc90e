#include "remote_write_decode.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <memory>
#include <optional>

#include <climits>

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
};

using google::protobuf::io::CodedInputStream;
using Wire = google::protobuf::internal::WireFormatLite;
using prompb::Label;
using prompb::Sample;
using prompb::TimeSeries;
using prompb::WriteRequest;

constexpr uint32_t tag(int field, Wire::WireType type) { return Wire::MakeTag(field, type); }

// The request read straight from its wire form with libprotobuf's CodedInputStream, labels
// as views into `data`: no message objects, no string copies. The field numbers are the
// generated messages' (remote_write.proto), and the rules are protobuf's: unknown fields and
// fields of an unexpected wire type are skipped (WriteRequest's own are refused, below), a
// scalar written twice keeps the last value, a missing one is 0. A differential test checks
// it against the generated parser.
class WireReader {
 public:
  WireReader(const std::string& data, DecodedRequest& out, std::string& why)
      : base_(reinterpret_cast<const uint8_t*>(data.data())),
        size_(static_cast<uint32_t>(data.size())),
        in_(base_, static_cast<int>(data.size())),
        out_(out),
        why_(why) {
    in_.SetTotalBytesLimit(INT_MAX);
  }

  bool request() {
    size_t index = 0;
    for (uint32_t t; (t = next_tag()) != 0;) {
      if (t == tag(WriteRequest::kTimeseriesFieldNumber, Wire::WIRETYPE_LENGTH_DELIMITED)) {
        if (!series(index++)) return false;
      } else if (t == tag(WriteRequest::kMetadataFieldNumber, Wire::WIRETYPE_LENGTH_DELIMITED)) {
        if (!walk({}, {}, {})) return broken("metadata");
      } else {
        why_ = "it has field " + std::to_string(Wire::GetTagFieldNumber(t)) +
               ", which WriteRequest does not (a remote_write 2.0 request has fields 4 and 5)";
        return false;
      }
    }
    return (!bad_tag_ && in_.ConsumedEntireMessage()) || broken("the request");
  }

 private:
  bool broken(const std::string& where) {
    if (why_.empty()) {
      why_ = "truncated or malformed at byte offset " + std::to_string(in_.CurrentPosition()) + " (in " + where + ")";
    }
    return false;
  }
  bool count_element() {
    if (++elements_ <= kMaxElementsPerRequest) return true;
    why_ = "413 request holds more than " + std::to_string(kMaxElementsPerRequest) +
           " series, labels and samples; send smaller batches (queue_config.max_samples_per_send)";
    return false;
  }
  // A length-delimited field's bytes as a view.
  // A length: a varint of at most 5 bytes (as the generated parser reads sizes), within what
  // is left of the enclosing message.
  bool length(uint32_t& len) {
    const int before = in_.CurrentPosition();
    if (!in_.ReadVarint32(&len) || in_.CurrentPosition() - before > 5) return false;
    if (len > size_ - static_cast<uint32_t>(in_.CurrentPosition())) return false;
    const int until = in_.BytesUntilLimit();
    return until < 0 || len <= static_cast<uint32_t>(until);
  }
  bool bytes(std::string_view& v) {
    uint32_t len = 0;
    if (!length(len)) return false;
    const int pos = in_.CurrentPosition();
    if (!in_.Skip(static_cast<int>(len))) return false;
    v = std::string_view(reinterpret_cast<const char*>(base_) + pos, len);
    return true;
  }
  // The next tag, 0 at the end (or when malformed: then ConsumedEntireMessage is false). A tag
  // longer than 5 bytes does not fit 32 bits: malformed, as the generated parser has it.
  uint32_t next_tag() {
    const int before = in_.CurrentPosition();
    const uint32_t t = in_.ReadTag();
    if (in_.CurrentPosition() - before > 5 || (t != 0 && Wire::GetTagFieldNumber(t) == 0)) {  // field 0 is invalid
      bad_tag_ = true;
      return 0;
    }
    return t;
  }
  // Skips one field, reading a length-delimited one's size as the generated parser does.
  bool skip(uint32_t t) {
    if (Wire::GetTagWireType(t) != Wire::WIRETYPE_LENGTH_DELIMITED) return Wire::SkipField(&in_, t);
    uint32_t len = 0;
    return length(len) && in_.Skip(static_cast<int>(len));
  }
  // A packed repeated field of varints (or of 8-byte values when fixed64): well formed.
  bool packed(bool fixed64) {
    CodedInputStream::Limit limit;
    if (!enter(limit)) return false;
    if (fixed64) {
      const int n = in_.BytesUntilLimit();
      if (n % 8 != 0 || !in_.Skip(n)) return false;
    } else {
      for (uint64_t v; in_.BytesUntilLimit() > 0;) {
        if (!in_.ReadVarint64(&v)) return false;
      }
    }
    in_.PopLimit(limit);
    return true;
  }
  // A submessage sloguard does not read (exemplars, native histograms, metadata): walked, not
  // built, so it costs no memory, and checked to be well formed as the generated parser would:
  // `sub` names its fields that are messages, `packed_varint` / `packed_fixed` its packed ones.
  bool walk(std::initializer_list<int> sub, std::initializer_list<int> packed_varint,
            std::initializer_list<int> packed_fixed) {
    CodedInputStream::Limit limit;
    if (!enter(limit)) return false;
    for (uint32_t t; (t = next_tag()) != 0;) {
      const int field = Wire::GetTagFieldNumber(t);
      const bool len = Wire::GetTagWireType(t) == Wire::WIRETYPE_LENGTH_DELIMITED;
      auto in = [field](std::initializer_list<int> l) { return std::find(l.begin(), l.end(), field) != l.end(); };
      bool ok;
      if (len && in(sub)) {
        ok = walk({}, {}, {});  // Label and BucketSpan hold only scalars and bytes
      } else if (len && in(packed_varint)) {
        ok = packed(false);
      } else if (len && in(packed_fixed)) {
        ok = packed(true);
      } else {
        ok = skip(t);
      }
      if (!ok) return false;
    }
    return leave(limit);
  }
  // Enters a length-delimited submessage; its end is restored by leave().
  bool enter(CodedInputStream::Limit& limit) {
    uint32_t len = 0;
    if (!length(len)) return false;  // a submessage may not run past the one it is in
    limit = in_.PushLimit(static_cast<int>(len));
    return true;
  }
  bool leave(CodedInputStream::Limit limit) {
    if (bad_tag_ || !in_.ConsumedEntireMessage()) return false;
    in_.PopLimit(limit);
    return true;
  }

  bool series(size_t index) {
    auto where = [index] { return "timeseries[" + std::to_string(index) + "]"; };
    CodedInputStream::Limit limit;
    if (!count_element() || !enter(limit)) return why_.empty() ? broken(where()) : false;
    SeriesView sv;
    sv.index = index;
    sv.label_begin = out_.labels.size();
    sv.sample_begin = out_.samples.size();
    uint64_t exemplars = 0;
    for (uint32_t t; (t = next_tag()) != 0;) {
      if (!count_element()) return false;
      if (t == tag(TimeSeries::kLabelsFieldNumber, Wire::WIRETYPE_LENGTH_DELIMITED)) {
        if (!label()) return broken(where() + ".labels");
      } else if (t == tag(TimeSeries::kSamplesFieldNumber, Wire::WIRETYPE_LENGTH_DELIMITED)) {
        if (!sample()) return broken(where() + ".samples");
      } else if (t == tag(TimeSeries::kExemplarsFieldNumber, Wire::WIRETYPE_LENGTH_DELIMITED)) {
        ++exemplars;
        if (!walk({1}, {}, {})) return broken(where() + ".exemplars");  // labels
      } else if (t == tag(TimeSeries::kHistogramsFieldNumber, Wire::WIRETYPE_LENGTH_DELIMITED)) {
        ++sv.histograms;
        // spans (8, 11), deltas (9, 12), counts (10, 13)
        if (!walk({8, 11}, {9, 12}, {10, 13})) return broken(where() + ".histograms");
      } else if (!skip(t)) {
        return broken(where());
      }
    }
    if (!leave(limit)) return broken(where());
    sv.label_end = out_.labels.size();
    sv.sample_end = out_.samples.size();
    out_.native_histograms += sv.histograms;
    out_.exemplars += exemplars;
    if (sv.sample_end == sv.sample_begin && sv.histograms == 0 && exemplars == 0) {
      out_.labels.resize(sv.label_begin);  // nothing to read in it
      return true;
    }
    out_.series.push_back(sv);
    return true;
  }

  bool label() {
    CodedInputStream::Limit limit;
    if (!enter(limit)) return false;
    LabelView l;
    for (uint32_t t; (t = next_tag()) != 0;) {
      if (t == tag(Label::kNameFieldNumber, Wire::WIRETYPE_LENGTH_DELIMITED)) {
        if (!bytes(l.first)) return false;
      } else if (t == tag(Label::kValueFieldNumber, Wire::WIRETYPE_LENGTH_DELIMITED)) {
        if (!bytes(l.second)) return false;
      } else if (!skip(t)) {
        return false;
      }
    }
    if (!leave(limit)) return false;
    out_.labels.push_back(l);
    return true;
  }

  bool sample() {
    CodedInputStream::Limit limit;
    if (!enter(limit)) return false;
    SampleView s;
    for (uint32_t t; (t = next_tag()) != 0;) {
      if (t == tag(Sample::kValueFieldNumber, Wire::WIRETYPE_FIXED64)) {
        uint64_t bits = 0;
        if (!in_.ReadLittleEndian64(&bits)) return false;
        s.value = std::bit_cast<double>(bits);
      } else if (t == tag(Sample::kTimestampFieldNumber, Wire::WIRETYPE_VARINT)) {
        uint64_t v = 0;
        if (!in_.ReadVarint64(&v)) return false;
        s.ts_ms = static_cast<int64_t>(v);
      } else if (!skip(t)) {
        return false;
      }
    }
    if (!leave(limit)) return false;
    out_.samples.push_back(s);
    return true;
  }

  const uint8_t* base_;
  uint32_t size_;
  CodedInputStream in_;
  DecodedRequest& out_;
  std::string& why_;
  uint64_t elements_ = 0;
  bool bad_tag_ = false;
};


ThreadState& thread_state() {
  thread_local ThreadState state;
  return state;
}

}  // namespace

void release_decoded() {
  ThreadState& ts = thread_state();
  if (ts.decoded.capacity() > 4u * 1024 * 1024) std::string().swap(ts.decoded);
}

bool parse_write_request(const std::string& data, DecodedRequest& out, std::string& why) {
  WireReader r(data, out, why);
  return r.request();
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
  std::string why;
  if (!parse_write_request(ts.decoded, out, why)) {
    if (why.starts_with("413 ")) return fail(413, why.substr(4));
    return fail(400, "body (" + std::to_string(decoded_size) + " bytes after snappy) is not a remote_write 1.0 "
                     "prometheus.WriteRequest: " + why);
  }
  // The spec's rules on each series' labels.
  for (SeriesView& sv : out.series) {
    auto where = [&] { return "timeseries[" + std::to_string(sv.index) + "]"; };
    auto first = out.labels.begin() + static_cast<std::ptrdiff_t>(sv.label_begin);
    auto last = out.labels.begin() + static_cast<std::ptrdiff_t>(sv.label_end);
    bool sorted = true, has_empty = false;
    for (auto it = first; it != last; ++it) {
      if (it->first.empty()) {
        return fail(400, where() + ".labels[" + std::to_string(it - first) + "]: empty label name");
      }
      if (it != first && !((it - 1)->first < it->first)) sorted = false;
      has_empty = has_empty || it->second.empty();
    }
    if (!sorted) std::sort(first, last, [](const LabelView& a, const LabelView& b) { return a.first < b.first; });
    for (auto it = first; it != last; ++it) {
      if (it + 1 != last && it->first == (it + 1)->first) {
        return fail(400, where() + ".labels: label name " + quoted(it->first) + " appears more than once");
      }
      if (it->first == "__name__") sv.name = it->second;
    }
    if (has_empty) {
      // An empty value is the same as no label (Prometheus' data model): the views after it
      // move down, and the series keeps fewer labels (its range ends earlier).
      auto end = std::remove_if(first, last, [](const LabelView& l) { return l.second.empty(); });
      for (auto it = end; it != last; ++it) *it = LabelView{};  // never read: past label_end
      sv.label_end = static_cast<size_t>(end - out.labels.begin());
    }
    if (sv.name.empty() && (sv.sample_end > sv.sample_begin || sv.histograms > 0)) {
      return fail(400, where() + ".labels: no __name__ label (every series must name its metric)");
    }
  }
}

}  // namespace sloguard::collector::detail
