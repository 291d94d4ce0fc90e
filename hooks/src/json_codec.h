// JSON forms of deployments, verdicts and audit entries: the stored records and the API's
// shapes (they are the same, so a stored record is what the API shows). Internal.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "sloguard/hooks/deployments.h"
#include "sloguard/hooks/rollback.h"

namespace sloguard::hooks::detail {

nlohmann::json measurement_json(const Measurement& m);
nlohmann::json verification_json(const Verification& v);
nlohmann::json deployment_json(const Deployment& d);  // "verification": null until judged
nlohmann::json audit_json(const AuditEntry& e);

std::string deployment_record(const Deployment& d);   // without the verification
Result<Deployment> parse_deployment_record(std::string_view text);
std::string verification_record(const Verification& v);
Result<Verification> parse_verification_record(std::string_view text);
Result<AuditEntry> parse_audit_record(std::string_view text);
nlohmann::json rule_check_json(const RuleCheck& r);
nlohmann::json progress_json(const VerificationProgress& p);
std::string progress_record(const VerificationProgress& p);
// Rules come back whole; a round fills window, max and failures_allowed from the config again.
Result<VerificationProgress> parse_progress_record(std::string_view text);

}  // namespace sloguard::hooks::detail
