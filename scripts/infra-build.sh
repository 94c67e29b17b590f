#!/usr/bin/env bash
# npm run infra:build — compiles every Bicep file under infra/ to ARM JSON in .local/infra-build/
# with the Bicep CLI from NuGet, and fails on any error or linter warning.
#   --if-stale   do nothing when the output is newer than every Bicep file (what tests use)
#
# The CLI comes from the NuGet package Azure.Bicep.CommandLine.linux-x64 (the executable is in
# its tools/ folder), restored by the .NET SDK into .local/bicep/: NuGet is a registry every
# machine of this project reaches, where the usual install script (a GitHub download) is not.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly BICEP_VERSION="${BICEP_VERSION:-0.49.2}"
readonly PACKAGE=Azure.Bicep.CommandLine.linux-x64
readonly TOOL_DIR=.local/bicep
readonly OUT_DIR=.local/infra-build
readonly bicep="$TOOL_DIR/packages/${PACKAGE,,}/$BICEP_VERSION/tools/bicep"

restore_bicep() {
  if ! command -v dotnet >/dev/null; then
    echo "infra:build: the .NET SDK (dotnet) is needed to restore $PACKAGE $BICEP_VERSION from NuGet; install it, or put the bicep executable at $bicep" >&2
    exit 1
  fi
  local sdk_major project_dir
  sdk_major="$(dotnet --version | cut -d. -f1)"
  project_dir="$TOOL_DIR/restore"
  mkdir -p "$project_dir"
  # A project that only downloads the package: no build, no reference, any target framework the
  # installed SDK knows (its own major version).
  cat >"$project_dir/bicep-cli.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net${sdk_major}.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="$PACKAGE" Version="[$BICEP_VERSION]" />
  </ItemGroup>
</Project>
XML
  echo "infra:build: restoring $PACKAGE $BICEP_VERSION from NuGet into $TOOL_DIR/packages"
  dotnet restore "$project_dir/bicep-cli.csproj" --packages "$TOOL_DIR/packages" --nologo --verbosity quiet
  # NuGet does not keep the executable bit.
  chmod +x "$bicep"
}

# Test files run in parallel and may all ask for a build: one at a time, the others then find it
# up to date.
mkdir -p .local
exec 9>.local/infra-build.lock
flock 9
if [[ ${1:-} == --if-stale && -f $OUT_DIR/main.json ]] &&
  [[ -z "$(find infra \( -name '*.bicep' -o -name bicepconfig.json \) -newer "$OUT_DIR/main.json" -print -quit)" ]]; then
  exit 0
fi

[[ -x "$bicep" ]] || restore_bicep
echo "infra:build: $("$bicep" --version)"

rm -rf "$OUT_DIR"
mkdir -p "$OUT_DIR"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# One process for every file (the CLI takes seconds to start); the output mirrors infra/.
status=0
"$bicep" build --pattern 'infra/**/*.bicep' --outdir "$OUT_DIR" 2>&1 | tee "$log" || status=$?

errors="$(grep -c ' : Error ' "$log" || true)"
warnings="$(grep -c ' : Warning ' "$log" || true)"
files="$(find infra -name '*.bicep' | wc -l)"
built="$(find "$OUT_DIR" -name '*.json' | wc -l)"
echo "infra:build: $files Bicep files, $built compiled, $errors errors, $warnings warnings"
if [[ $status -ne 0 || $errors -ne 0 || $warnings -ne 0 || $built -ne $files ]]; then
  echo "infra:build: failed (warnings count as errors; a rule may be relaxed only in infra/bicepconfig.json, with the reason beside it)" >&2
  # No half-good output for --if-stale to take as up to date.
  rm -rf "$OUT_DIR"
  exit 1
fi
