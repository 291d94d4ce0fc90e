// The zero-copy remote_write decoder against libprotobuf's generated parser of the same .proto:
// the same requests, the same content; corrupted bytes are refused exactly when the generated
// parser refuses them.
#include "remote_write_decode.h"

#include <catch2/catch.hpp>
#include <random>

#include "proto/remote_write.pb.h"

using namespace sloguard;
using collector::detail::DecodedRequest;
using collector::detail::parse_write_request;

namespace {

prompb::WriteRequest random_request(std::mt19937_64& rng) {
  prompb::WriteRequest req;
  std::uniform_int_distribution<int> small(0, 4);
  const int n = small(rng) + 1;
  for (int i = 0; i < n; ++i) {
    auto* ts = req.add_timeseries();
    for (int j = small(rng); j-- > 0;) {
      auto* l = ts->add_labels();
      l->set_name("n" + std::to_string(rng() % 7));
      if (rng() % 5) l->set_value(std::string(rng() % 40, static_cast<char>('a' + rng() % 26)));
      if (rng() % 7 == 0) l->GetReflection()->MutableUnknownFields(l)->AddVarint(9, rng());
    }
    for (int j = small(rng); j-- > 0;) {
      auto* s = ts->add_samples();
      if (rng() % 4) s->set_value(static_cast<double>(rng() % 1000) / 7.0);
      if (rng() % 4) s->set_timestamp(static_cast<int64_t>(rng() % 2000000000000ULL) - 1000);
    }
    if (rng() % 5 == 0) {
      auto* e = ts->add_exemplars();
      e->set_value(1.5);
      e->set_timestamp(static_cast<int64_t>(rng() % 1000));
      for (int j = small(rng); j-- > 0;) {
        auto* l = e->add_labels();
        l->set_name("trace_id");
        l->set_value(std::to_string(rng()));
      }
    }
    if (rng() % 6 == 0) {
      auto* h = ts->add_histograms();
      h->set_count_int(3);
      h->set_schema(static_cast<int32_t>(rng() % 8) - 4);
      for (int j = small(rng); j-- > 0;) {
        auto* sp = h->add_positive_spans();
        sp->set_offset(static_cast<int32_t>(rng() % 5) - 2);
        sp->set_length(static_cast<uint32_t>(rng() % 4));
        h->add_positive_deltas(static_cast<int64_t>(rng() % 100) - 50);
        h->add_negative_counts(static_cast<double>(rng() % 9));
      }
    }
    if (rng() % 8 == 0) ts->GetReflection()->MutableUnknownFields(ts)->AddLengthDelimited(12, "x");
  }
  if (rng() % 4 == 0) req.add_metadata()->set_help("h");
  return req;
}

// The generated parser's view of the same bytes, in the decoder's shape.
void expect_same(const prompb::WriteRequest& req, const DecodedRequest& d) {
  size_t k = 0;
  for (int i = 0; i < req.timeseries_size(); ++i) {
    const auto& ts = req.timeseries(i);
    if (ts.samples_size() == 0 && ts.exemplars_size() == 0 && ts.histograms_size() == 0) continue;
    REQUIRE(k < d.series.size());
    const auto& sv = d.series[k++];
    CHECK(sv.index == static_cast<size_t>(i));
    REQUIRE(sv.label_end - sv.label_begin == static_cast<size_t>(ts.labels_size()));
    for (int j = 0; j < ts.labels_size(); ++j) {
      CHECK(d.labels[sv.label_begin + static_cast<size_t>(j)].first == ts.labels(j).name());
      CHECK(d.labels[sv.label_begin + static_cast<size_t>(j)].second == ts.labels(j).value());
    }
    REQUIRE(sv.sample_end - sv.sample_begin == static_cast<size_t>(ts.samples_size()));
    for (int j = 0; j < ts.samples_size(); ++j) {
      CHECK(d.samples[sv.sample_begin + static_cast<size_t>(j)].value == ts.samples(j).value());
      CHECK(d.samples[sv.sample_begin + static_cast<size_t>(j)].ts_ms == ts.samples(j).timestamp());
    }
    CHECK(sv.histograms == static_cast<uint64_t>(ts.histograms_size()));
  }
  CHECK(k == d.series.size());
}

}  // namespace

TEST_CASE("remote_write decoder reads what the generated parser reads") {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 2000; ++round) {
    prompb::WriteRequest req = random_request(rng);
    const std::string bytes = req.SerializeAsString();
    DecodedRequest d;
    std::string why;
    REQUIRE(parse_write_request(bytes, d, why));
    expect_same(req, d);
  }
}

TEST_CASE("remote_write decoder refuses corrupted bytes exactly when the generated parser does") {
  std::mt19937_64 rng(7);
  int refused = 0;
  for (int round = 0; round < 30000; ++round) {
    std::string bytes = random_request(rng).SerializeAsString();
    if (bytes.empty()) continue;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    if (rng() % 4 == 0) bytes.resize(rng() % bytes.size());
    prompb::WriteRequest reference;
    const bool ref_ok = reference.ParseFromString(bytes) &&
                        reference.GetReflection()->GetUnknownFields(reference).empty();
    DecodedRequest d;
    std::string why;
    const bool ok = parse_write_request(bytes, d, why);
    std::string hex;
    for (unsigned char c : bytes) {
      static const char* digits = "0123456789abcdef";
      hex += digits[c >> 4];
      hex += digits[c & 15];
    }
    INFO("round " << round << ": " << why << " bytes " << hex);
    REQUIRE(ok == ref_ok);
    if (ok) expect_same(reference, d);
    refused += ok ? 0 : 1;
  }
  CHECK(refused > 100);  // the corruption really does break messages
}
