// Label matchers of remote_write mappings: PromQL's =, !=, =~ and !~, written as a mapping
// {job: checkout, handler: "=~/api/.*"} or as a list of PromQL matchers [job="checkout"].
// Regexes are RE2 (the syntax of Prometheus' Go regexp), anchored at both ends as PromQL does.
#include "remote_write_match.h"

#include <re2/re2.h>

#include <algorithm>

namespace sloguard::config {
namespace {

RE2::Options quiet_options() {
  RE2::Options o;
  o.set_log_errors(false);  // RE2 would print every bad pattern to stderr
  return o;
}

std::string anchored(const std::string& re) { return "^(?:" + re + ")$"; }

}  // namespace

bool RemoteLabelMatcher::matches(const std::string* label_value) const {
  static const std::string kEmpty;
  const std::string& v = label_value ? *label_value : kEmpty;  // absent = "", as in PromQL
  switch (op) {
    case Op::kEqual: return v == value;
    case Op::kNotEqual: return v != value;
    case Op::kRegex:
    case Op::kNotRegex: {
      bool hit = false;
      if (re) {
        hit = RE2::FullMatch(v, *re);
      } else {
        // Built in code without `re`: compile here (slow, but the same answer). A pattern that
        // does not compile matches nothing, either way round.
        RE2 compiled(anchored(value), quiet_options());
        if (!compiled.ok()) return false;
        hit = RE2::FullMatch(v, compiled);
      }
      return op == Op::kRegex ? hit : !hit;
    }
  }
  return false;
}

namespace detail {
namespace {

bool is_name_char(char c, bool first, bool colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

bool is_name(std::string_view s, bool colon) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!is_name_char(s[i], i == 0, colon)) return false;
  }
  return true;
}

constexpr std::string_view kLabelSyntax = "[a-zA-Z_][a-zA-Z0-9_]*";

std::string op_text(RemoteLabelMatcher::Op op) {
  switch (op) {
    case RemoteLabelMatcher::Op::kEqual: return "=";
    case RemoteLabelMatcher::Op::kNotEqual: return "!=";
    case RemoteLabelMatcher::Op::kRegex: return "=~";
    case RemoteLabelMatcher::Op::kNotRegex: return "!~";
  }
  return "=";
}

// The operator at the start of `s` (=~ and !~ before =), its length in `len`.
std::optional<RemoteLabelMatcher::Op> leading_op(std::string_view s, size_t& len) {
  using Op = RemoteLabelMatcher::Op;
  len = 2;
  if (s.substr(0, 2) == "=~") return Op::kRegex;
  if (s.substr(0, 2) == "!~") return Op::kNotRegex;
  if (s.substr(0, 2) == "!=") return Op::kNotEqual;
  len = 1;
  if (s.substr(0, 1) == "=") return Op::kEqual;
  return std::nullopt;
}

// Compiles a regex matcher's pattern, anchored. The pattern must compile on its own too: a
// pattern such as "a)|(b" would otherwise close the anchoring group and mean something else.
bool compile(ErrorSink& errors, const Item& at, RemoteLabelMatcher& m) {
  if (m.op != RemoteLabelMatcher::Op::kRegex && m.op != RemoteLabelMatcher::Op::kNotRegex) return true;
  RE2 alone(m.value, quiet_options());
  if (!alone.ok()) {
    errors.add(at.mark(), at.msg("invalid regular expression \"" + m.value + "\" for label " + m.name + ": " +
                                 alone.error()));
    return false;
  }
  auto re = std::make_shared<const RE2>(anchored(m.value), quiet_options());
  if (!re->ok()) {
    errors.add(at.mark(), at.msg("invalid regular expression \"" + m.value + "\" for label " + m.name + ": " +
                                 re->error()));
    return false;
  }
  m.re = std::move(re);
  return true;
}

// Labels a mapping cannot match on.
bool check_reserved(ErrorSink& errors, const Item& at, const std::string& name, bool histogram) {
  if (name == "__name__") {
    errors.add(at.mark(), at.msg("cannot match on __name__: the metric is given by metric or histogram"));
    return false;
  }
  if (histogram && name == "le") {
    errors.add(at.mark(), at.msg("cannot match on le: it is the bucket label of the histogram, and every "
                                 "bucket is needed"));
    return false;
  }
  return true;
}

// {label: value, ...}.
bool parse_matcher_map(ErrorSink& errors, const Item& item, bool histogram, std::vector<RemoteLabelMatcher>& out) {
  bool ok = true;
  std::vector<std::pair<std::string, int>> seen;  // label, line
  for (auto it = item.node.begin(); it != item.node.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      errors.add(key.Mark(), item.msg("expected a label name, got " + describe(key)));
      ok = false;
      continue;
    }
    const std::string& name = key.Scalar();
    Item v = item.child(name, value, key.Mark());
    Item k{item.path, key, YAML::Mark::null_mark()};
    if (!is_name(name, false)) {
      errors.add(key.Mark(),
                 item.msg("\"" + name + "\" is not a valid label name (" + std::string(kLabelSyntax) + ")"));
      ok = false;
      continue;
    }
    if (!check_reserved(errors, k, name, histogram)) {
      ok = false;
      continue;
    }
    auto dup = std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == name; });
    if (dup != seen.end()) {
      errors.add(key.Mark(), item.msg("label \"" + name + "\" is repeated (first at line " +
                                      std::to_string(dup->second) + "); to match it twice, write match as a "
                                      "list of PromQL matchers"));
      ok = false;
      continue;
    }
    seen.emplace_back(name, key.Mark().line + 1);
    auto text = read_scalar(errors, v, "a label value, or an operator (=~, !~, != or =) and a value");
    if (!text) {
      ok = false;
      continue;
    }
    RemoteLabelMatcher m;
    m.name = name;
    size_t len = 0;
    if (auto op = leading_op(*text, len)) {
      m.op = *op;
      m.value = text->substr(len);
    } else {
      m.value = *text;
    }
    if (!compile(errors, v, m)) {
      ok = false;
      continue;
    }
    out.push_back(std::move(m));
  }
  return ok;
}

// One PromQL matcher: name, operator, double-quoted value with \" and \\ escapes. Returns
// the problem, or "" when `out` was filled.
std::string parse_promql_matcher(std::string_view s, RemoteLabelMatcher& out) {
  auto skip_blanks = [&](size_t& i) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  };
  size_t i = 0;
  skip_blanks(i);
  const size_t name_start = i;
  while (i < s.size() && is_name_char(s[i], i == name_start, false)) ++i;
  if (i == name_start) {
    if (i < s.size() && s[i] == '{') return "write the matcher without braces, like job=\"checkout\"";
    return "expected a label name (" + std::string(kLabelSyntax) + ") first";
  }
  out.name = std::string(s.substr(name_start, i - name_start));
  skip_blanks(i);
  size_t len = 0;
  std::optional<RemoteLabelMatcher::Op> op = leading_op(s.substr(i), len);
  if (!op) return "expected =, !=, =~ or !~ after the label name " + out.name;
  out.op = *op;
  i += len;
  skip_blanks(i);
  if (i >= s.size() || s[i] != '"') return "the value must be in double quotes, like job=\"checkout\"";
  ++i;
  std::string value;
  bool closed = false;
  for (; i < s.size(); ++i) {
    if (s[i] == '"') {
      closed = true;
      ++i;
      break;
    }
    if (s[i] == '\\') {
      if (i + 1 >= s.size()) break;
      const char e = s[++i];
      if (e != '"' && e != '\\') {
        return std::string("unknown escape \\") + e + " in the value (write \\\\ for a backslash, \\\" for a quote)";
      }
      value += e;
      continue;
    }
    value += s[i];
  }
  if (!closed) return "the value's closing double quote is missing";
  skip_blanks(i);
  if (i < s.size()) {
    if (s[i] == ',') {
      if (s.find_first_not_of(" \t", i + 1) == std::string_view::npos) return "unexpected ',' after the value";
      return "one matcher per list entry: split it at the comma";
    }
    return "unexpected text after the value: \"" + std::string(s.substr(i)) + "\"";
  }
  out.value = std::move(value);
  return "";
}

// [job="checkout", code!~"5.."].
bool parse_matcher_list(ErrorSink& errors, const Item& item, bool histogram, std::vector<RemoteLabelMatcher>& out) {
  bool ok = true;
  for (size_t i = 0; i < item.node.size(); ++i) {
    Item e = item.element(i, item.node[i]);
    auto text = read_scalar(errors, e, "a PromQL matcher like job=\"checkout\" or code!~\"5..\"");
    if (!text) {
      ok = false;
      continue;
    }
    RemoteLabelMatcher m;
    std::string problem = parse_promql_matcher(*text, m);
    if (!problem.empty()) {
      errors.add(e.mark(), e.msg("\"" + *text + "\": " + problem));
      ok = false;
      continue;
    }
    if (!check_reserved(errors, e, m.name, histogram) || !compile(errors, e, m)) {
      ok = false;
      continue;
    }
    out.push_back(std::move(m));
  }
  return ok;
}

}  // namespace

bool is_label_name(std::string_view s) { return is_name(s, false); }
bool is_metric_name(std::string_view s) { return is_name(s, true); }

std::optional<std::string> read_label_name(ErrorSink& errors, const Item& item) {
  auto text = read_scalar(errors, item, "a label name");
  if (!text) return std::nullopt;
  if (!is_label_name(*text)) {
    errors.add(item.mark(),
               item.msg("\"" + *text + "\" is not a valid label name (" + std::string(kLabelSyntax) + ")"));
    return std::nullopt;
  }
  return text;
}

bool parse_remote_matchers(ErrorSink& errors, const Item& item, bool histogram,
                           std::vector<RemoteLabelMatcher>& out) {
  constexpr std::string_view kWhat =
      "a mapping of labels to values like {job: checkout, handler: \"=~/api/.*\"} or a list of PromQL "
      "matchers like [job=\"checkout\", code!~\"5..\"]";
  bool ok = false;
  if (item.node.IsMap()) {
    ok = parse_matcher_map(errors, item, histogram, out);
  } else if (item.node.IsSequence()) {
    ok = parse_matcher_list(errors, item, histogram, out);
  } else {
    errors.add(item.mark(), item.msg("expected " + std::string(kWhat) + ", got " + describe(item.node)));
    return false;
  }
  if (item.node.size() == 0) {
    errors.add(item.mark(), item.msg("must have at least one matcher (leave match out for every series of the "
                                     "metric)"));
    return false;
  }
  return ok;
}

std::string matcher_text(const RemoteLabelMatcher& m) {
  std::string v;
  for (char c : m.value) {
    if (c == '"' || c == '\\') v += '\\';
    v += c;
  }
  return m.name + op_text(m.op) + "\"" + v + "\"";
}

}  // namespace detail
}  // namespace sloguard::config
