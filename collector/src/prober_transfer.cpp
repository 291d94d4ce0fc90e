#include "prober_transfer.h"

#include <algorithm>
#include <mutex>
#include <re2/re2.h>
#include <stdexcept>

#ifndef SLOGUARD_VERSION
#define SLOGUARD_VERSION "dev"
#endif

namespace sloguard::collector::detail {
namespace {

constexpr const char* kUserAgent = "sloguard-prober/" SLOGUARD_VERSION;
constexpr size_t kMaxDetail = 200;
constexpr size_t kMaxQuoted = 60;

std::string clip(std::string s, size_t max) {
  if (s.size() > max) {
    s.resize(max - 3);
    s += "...";
  }
  return s;
}

bool expected_status(const config::HttpProbeConfig& http, long status) {
  if (http.expect_status.empty()) return status >= 200 && status <= 299;
  return std::find(http.expect_status.begin(), http.expect_status.end(), status) != http.expect_status.end();
}

std::string expected_text(const config::HttpProbeConfig& http) {
  if (http.expect_status.empty()) return "2xx";
  std::string s = http.expect_status.size() == 1 ? "" : "one of ";
  for (size_t i = 0; i < http.expect_status.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(http.expect_status[i]);
  }
  return s;
}

bool is_post_like(const std::string& method) { return method == "POST" || method == "PUT" || method == "PATCH"; }

}  // namespace

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("curl_global_init failed");
  });
}

ProbeOutcome outcome_of_curl_code(CURLcode code) {
  switch (code) {
    case CURLE_OK:
      return ProbeOutcome::kSuccess;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return ProbeOutcome::kDns;
    case CURLE_COULDNT_CONNECT:
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2_STREAM:
    case CURLE_QUIC_CONNECT_ERROR:
      return ProbeOutcome::kConnect;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
      return ProbeOutcome::kTls;
    case CURLE_OPERATION_TIMEDOUT:
      return ProbeOutcome::kTimeout;
    case CURLE_TOO_MANY_REDIRECTS:
      return ProbeOutcome::kStatus;
    default:
      return ProbeOutcome::kOther;
  }
}

ProbeTransfer::ProbeTransfer(const ProberOptions& options) : options_(options) {
  init_curl_once();
  easy_ = curl_easy_init();
  if (!easy_) throw std::runtime_error("curl_easy_init failed");
}

ProbeTransfer::~ProbeTransfer() {
  curl_easy_cleanup(easy_);
  curl_slist_free_all(headers_);
}

void ProbeTransfer::prepare(std::shared_ptr<const config::ProbeConfig> probe, double ts) {
  probe_ = std::move(probe);
  ts_ = ts;
  body_.clear();
  error_[0] = '\0';
  setup_error_ = configure();
}

CURLcode ProbeTransfer::configure() {
  // Reset keeps the handle's caches but forgets the previous run's options (a changed probe
  // must not inherit, say, NOBODY from its HEAD days).
  curl_easy_reset(easy_);
  curl_slist_free_all(headers_);
  headers_ = nullptr;
  const config::ProbeConfig& p = *probe_;
  // curl_easy_setopt codes are checked once at the end: any failure is a setup error.
  CURLcode rc = CURLE_OK;
  auto set = [&rc](CURLcode c) {
    if (rc == CURLE_OK) rc = c;
  };
  set(curl_easy_setopt(easy_, CURLOPT_PRIVATE, this));
  set(curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L));
  set(curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, error_.data()));
  set(curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, static_cast<long>(p.timeout_ms)));
  set(curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(p.timeout_ms)));
  const bool fresh = !options_.reuse_connections || p.kind == config::ProbeKind::kTcp;
  set(curl_easy_setopt(easy_, CURLOPT_FRESH_CONNECT, fresh ? 1L : 0L));
  set(curl_easy_setopt(easy_, CURLOPT_FORBID_REUSE, fresh ? 1L : 0L));
  // A fresh run resolves anew: a DNS outage shows on the next run, not a minute later.
  if (fresh) set(curl_easy_setopt(easy_, CURLOPT_DNS_CACHE_TIMEOUT, 0L));

  if (p.kind == config::ProbeKind::kTcp) {
    const bool v6 = p.tcp.host.find(':') != std::string::npos && p.tcp.host[0] != '[';
    url_ = "http://" + (v6 ? "[" + p.tcp.host + "]" : p.tcp.host) + ":" + std::to_string(p.tcp.port) + "/";
    set(curl_easy_setopt(easy_, CURLOPT_URL, url_.c_str()));
    set(curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http"));
    set(curl_easy_setopt(easy_, CURLOPT_CONNECT_ONLY, 1L));
    // A TCP probe checks its own host:port; an http_proxy in the environment must not stand in.
    set(curl_easy_setopt(easy_, CURLOPT_NOPROXY, "*"));
    capture_body_ = false;
    return rc;
  }

  const config::HttpProbeConfig& h = p.http;
  set(curl_easy_setopt(easy_, CURLOPT_URL, h.url.c_str()));
  set(curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http,https"));
  set(curl_easy_setopt(easy_, CURLOPT_USERAGENT, kUserAgent));
  if (h.method == "HEAD") {
    set(curl_easy_setopt(easy_, CURLOPT_NOBODY, 1L));
  } else if (h.method != "GET") {
    set(curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST, h.method.c_str()));
    // An empty body with Content-Length: 0, so the server does not wait for one.
    if (is_post_like(h.method)) {
      set(curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, ""));
      set(curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE, 0L));
    }
  }
  for (const auto& [name, value] : h.headers) {
    // "Name;" is curl's way to send a header with an empty value.
    std::string line = value.empty() ? name + ";" : name + ": " + value;
    curl_slist* next = curl_slist_append(headers_, line.c_str());
    if (!next) return CURLE_OUT_OF_MEMORY;
    headers_ = next;
  }
  if (headers_) set(curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_));
  if (h.follow_redirects) {
    set(curl_easy_setopt(easy_, CURLOPT_FOLLOWLOCATION, 1L));
    set(curl_easy_setopt(easy_, CURLOPT_MAXREDIRS, static_cast<long>(h.max_redirects)));
    set(curl_easy_setopt(easy_, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"));
  }
  set(curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYPEER, h.tls_verify ? 1L : 0L));
  set(curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYHOST, h.tls_verify ? 2L : 0L));

  capture_body_ = !h.body_contains.empty() || !h.body_regex.empty();
  set(curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &ProbeTransfer::on_body));
  set(curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this));
  if (h.body_regex != regex_source_) {
    regex_source_ = h.body_regex;
    regex_.reset();
    regex_error_.clear();
    if (!h.body_regex.empty()) {
      RE2::Options options;
      options.set_log_errors(false);
      auto re = std::make_unique<const RE2>(h.body_regex, options);
      // The loader validates patterns; this only guards configs built in code.
      if (re->ok()) {
        regex_ = std::move(re);
      } else {
        regex_error_ = "invalid body_regex: " + re->error();
      }
    }
  }
  return rc;
}

size_t ProbeTransfer::on_body(char* data, size_t size, size_t n, void* self) {
  auto* t = static_cast<ProbeTransfer*>(self);
  const size_t bytes = size * n;
  if (t->capture_body_ && t->body_.size() < t->options_.max_body_bytes) {
    t->body_.append(data, std::min(bytes, t->options_.max_body_bytes - t->body_.size()));
  }
  return bytes;
}

ProbeResult ProbeTransfer::finish(CURLcode code) {
  ProbeResult r;
  r.probe = probe_->name;
  r.ts = ts_;
  if (setup_error_ != CURLE_OK) {
    // The handle did not run: its timing and status would be the previous run's.
    r.outcome = ProbeOutcome::kOther;
    r.detail = std::string("probe setup failed: ") + curl_easy_strerror(setup_error_);
    return r;
  }
  curl_off_t total_us = 0;
  if (curl_easy_getinfo(easy_, CURLINFO_TOTAL_TIME_T, &total_us) == CURLE_OK) {
    r.latency_ms = static_cast<double>(total_us) / 1000.0;
  }
  if (probe_->kind == config::ProbeKind::kHttp) {
    long status = 0;
    if (curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK) r.http_status = static_cast<int>(status);
  }
  if (code != CURLE_OK) {
    r.outcome = outcome_of_curl_code(code);
    // curl's message names hosts, ports and timings, never request headers.
    r.detail = clip(error_[0] ? std::string(error_.data()) : std::string(curl_easy_strerror(code)), kMaxDetail);
    return r;
  }
  if (probe_->kind == config::ProbeKind::kTcp) {
    r.outcome = ProbeOutcome::kSuccess;
    return r;
  }
  return judge_answer(std::move(r));
}

ProbeResult ProbeTransfer::judge_answer(ProbeResult r) const {
  const config::HttpProbeConfig& h = probe_->http;
  if (!expected_status(h, r.http_status)) {
    r.outcome = ProbeOutcome::kStatus;
    r.detail = "HTTP " + std::to_string(r.http_status) + ", expected " + expected_text(h);
    return r;
  }
  if (!h.body_contains.empty() && body_.find(h.body_contains) == std::string::npos) {
    r.outcome = ProbeOutcome::kBody;
    r.detail = "body lacks \"" + clip(h.body_contains, kMaxQuoted) + "\"";
    return r;
  }
  if (!h.body_regex.empty()) {
    if (!regex_) {
      r.outcome = ProbeOutcome::kOther;
      r.detail = regex_error_;
      return r;
    }
    // A search, not a full match: the pattern may match anywhere in the body.
    if (!RE2::PartialMatch(body_, *regex_)) {
      r.outcome = ProbeOutcome::kBody;
      r.detail = "body does not match /" + clip(h.body_regex, kMaxQuoted) + "/";
      return r;
    }
  }
  r.outcome = ProbeOutcome::kSuccess;
  return r;
}

ProbeMulti::ProbeMulti() {
  init_curl_once();
  multi_ = curl_multi_init();
  if (!multi_) throw std::runtime_error("curl_multi_init failed");
}

ProbeMulti::~ProbeMulti() {
  for (ProbeTransfer* t : in_flight_) {
    curl_multi_remove_handle(multi_, t->handle());
    t->in_flight = false;
  }
  curl_multi_cleanup(multi_);
}

bool ProbeMulti::add(ProbeTransfer& t) {
  if (curl_multi_add_handle(multi_, t.handle()) != CURLM_OK) return false;
  t.in_flight = true;
  in_flight_.push_back(&t);
  return true;
}

void ProbeMulti::remove(ProbeTransfer& t) {
  if (!t.in_flight) return;
  curl_multi_remove_handle(multi_, t.handle());
  t.in_flight = false;
  in_flight_.erase(std::find(in_flight_.begin(), in_flight_.end(), &t));
}

void ProbeMulti::perform(std::vector<Done>& done) {
  int running = 0;
  curl_multi_perform(multi_, &running);
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    void* priv = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
    auto* t = static_cast<ProbeTransfer*>(priv);
    const CURLcode code = msg->data.result;  // msg is invalid after remove
    remove(*t);
    done.push_back(Done{t, code});
  }
}

void ProbeMulti::poll(int timeout_ms) { curl_multi_poll(multi_, nullptr, 0, std::max(timeout_ms, 0), nullptr); }

void ProbeMulti::wakeup() { curl_multi_wakeup(multi_); }

void ProbeMulti::set_max_connects(long n) { curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, n); }

}  // namespace sloguard::collector::detail
