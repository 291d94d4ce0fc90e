// Decoding a remote_write 1.0 body: snappy (block format), then the protobuf WriteRequest,
// then the spec's rules on labels. Internal to the collector.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sloguard/collector/remote_write.h"

namespace sloguard::collector::detail {

using LabelView = std::pair<std::string_view, std::string_view>;  // name, value

struct SampleView {
  double value = 0;
  int64_t ts_ms = 0;
};

// One TimeSeries of the request, its labels sorted by name (views into the decoded message).
struct SeriesView {
  size_t index = 0;               // position in WriteRequest.timeseries
  std::string_view name;          // the __name__ value
  size_t label_begin = 0, label_end = 0;    // range in DecodedRequest::labels
  size_t sample_begin = 0, sample_end = 0;  // range in DecodedRequest::samples
  uint64_t histograms = 0;                  // native histograms (not read)
};

struct DecodedRequest {
  int status = 204;    // 400 / 413 / 415 when the body cannot be taken
  std::string error;
  std::vector<SeriesView> series;
  std::vector<LabelView> labels;
  std::vector<SampleView> samples;
  uint64_t native_histograms = 0;
  uint64_t exemplars = 0;
};

// Decodes body into out (reusing its memory). The views stay valid until the next call on the
// same thread (or release_decoded()): they point into a thread-local buffer.
void decode_write_request(std::string_view body, const RemoteWriteHeaders& headers, size_t max_decoded_bytes,
                          DecodedRequest& out);

// The wire-format step alone (no label rules): appends the request's series, labels and
// samples to out as views into data; series with neither samples, exemplars nor histograms
// are left out. False with `why` for a malformed message (why starts with "413 " past
// kMaxElementsPerRequest).
bool parse_write_request(const std::string& data, DecodedRequest& out, std::string& why);

// Frees a large decode buffer of the last decode_write_request on this thread, once its views
// are no longer used.
void release_decoded();

// At most this many series, labels, samples, exemplars and histograms in one request: bounds
// the views a small, highly compressible body can make the decoder keep.
inline constexpr uint64_t kMaxElementsPerRequest = 1'000'000;

// Prometheus' staleness marker: the NaN with bit pattern 0x7ff0000000000002.
bool is_stale_marker(double v);

}  // namespace sloguard::collector::detail
