#!/usr/bin/env bash
# Maintainer-only: rebuild the vendored front-end assets in static/vendor/
# from npm. Not needed at runtime or in CI. Needs node + npm.
set -euo pipefail

GOVUK_FRONTEND_VERSION="5.14.0"
HTMX_VERSION="2.0.11"
SASS_VERSION="1.108.2"
ACCESSIBLE_AUTOCOMPLETE_VERSION="3.0.1"

VENDOR_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD_DIR="$(mktemp -d "${TMPDIR:-/tmp}/harbour-vendor-build.XXXXXX")"
trap 'rm -rf "$BUILD_DIR"' EXIT

cd "$BUILD_DIR"
npm init -y >/dev/null
npm install --no-audit --no-fund --save-exact \
  "govuk-frontend@${GOVUK_FRONTEND_VERSION}" \
  "htmx.org@${HTMX_VERSION}" \
  "sass@${SASS_VERSION}" \
  "accessible-autocomplete@${ACCESSIBLE_AUTOCOMPLETE_VERSION}"

GOVUK_DIST="node_modules/govuk-frontend/dist/govuk"

# GOV.UK Frontend CSS, compiled with the system font stack (see harbour.scss).
npx --no-install sass \
  --style=compressed --no-source-map \
  --load-path=node_modules \
  --quiet-deps --silence-deprecation=import --silence-deprecation=global-builtin \
  "$VENDOR_DIR/govuk-frontend/harbour.scss" "$BUILD_DIR/govuk-frontend.min.css"

# Fail if any GDS Transport font or fonts/ path slipped into the CSS.
if grep -Eiq 'GDS Transport|@font-face|fonts/' "$BUILD_DIR/govuk-frontend.min.css"; then
  echo "ERROR: compiled CSS references GDS Transport / fonts" >&2
  exit 1
fi

install -m 0644 "$BUILD_DIR/govuk-frontend.min.css" "$VENDOR_DIR/govuk-frontend/govuk-frontend.min.css"
# Precompiled ES module bundle, plus its source map (the bundle ends with a
# sourceMappingURL comment, which ManifestStaticFilesStorage resolves).
install -m 0644 "$GOVUK_DIST/govuk-frontend.min.js" "$GOVUK_DIST/govuk-frontend.min.js.map" \
  "$VENDOR_DIR/govuk-frontend/"
# assets/images and assets/fonts are deliberately NOT copied: every image in
# 5.x (favicons, app icons, crest, opengraph image) carries the crown, and the
# fonts are the licensed GDS Transport typeface.

install -m 0644 node_modules/htmx.org/dist/htmx.min.js "$VENDOR_DIR/htmx/htmx.min.js"

# GOV.UK's accessible autocomplete, unmodified (its .map files are referenced by sourceMappingURL comments).
AA_DIST="node_modules/accessible-autocomplete/dist"
mkdir -p "$VENDOR_DIR/accessible-autocomplete"
install -m 0644 "$AA_DIST/accessible-autocomplete.min.js" "$AA_DIST/accessible-autocomplete.min.js.map" \
  "$AA_DIST/accessible-autocomplete.min.css" "$AA_DIST/accessible-autocomplete.min.css.map" \
  node_modules/accessible-autocomplete/LICENSE.txt "$VENDOR_DIR/accessible-autocomplete/"

cd "$VENDOR_DIR"
sha256sum govuk-frontend/govuk-frontend.min.css govuk-frontend/govuk-frontend.min.js \
  govuk-frontend/govuk-frontend.min.js.map govuk-frontend/harbour.scss htmx/htmx.min.js \
  accessible-autocomplete/*
echo "Done. Update the versions and sha256 sums in README.md if they changed."
