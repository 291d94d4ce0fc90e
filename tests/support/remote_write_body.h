// Builds Prometheus remote_write 1.0 bodies (snappy-compressed protobuf WriteRequests) for
// tests, with the project's generated messages.
#pragma once

#include <cstdint>
#include <limits>
#include <bit>
#include <string>
#include <utility>
#include <vector>

#include <snappy.h>

#include "proto/remote_write.pb.h"

namespace sloguard::testing {

struct RwSample {
  double value;
  int64_t ts_ms;
};

struct RwSeries {
  std::vector<std::pair<std::string, std::string>> labels;  // written in this order
  std::vector<RwSample> samples;
  int exemplars = 0;
  int native_histograms = 0;
};

inline double stale_marker() { return std::bit_cast<double>(uint64_t{0x7ff0000000000002ULL}); }

inline std::string write_request_proto(const std::vector<RwSeries>& series) {
  sloguard::prompb::WriteRequest req;
  for (const auto& s : series) {
    auto* ts = req.add_timeseries();
    for (const auto& [n, v] : s.labels) {
      auto* l = ts->add_labels();
      l->set_name(n);
      l->set_value(v);
    }
    for (const auto& smp : s.samples) {
      auto* x = ts->add_samples();
      x->set_value(smp.value);
      x->set_timestamp(smp.ts_ms);
    }
    for (int i = 0; i < s.exemplars; ++i) {
      auto* e = ts->add_exemplars();
      e->set_value(0.1);
      e->set_timestamp(s.samples.empty() ? 0 : s.samples.front().ts_ms);
    }
    for (int i = 0; i < s.native_histograms; ++i) {
      auto* h = ts->add_histograms();
      h->set_count_int(3);
      h->set_schema(3);
      h->set_timestamp(s.samples.empty() ? 0 : s.samples.front().ts_ms);
    }
  }
  return req.SerializeAsString();
}

inline std::string snappy_compress(const std::string& raw) {
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

inline std::string write_request(const std::vector<RwSeries>& series) {
  return snappy_compress(write_request_proto(series));
}

}  // namespace sloguard::testing
