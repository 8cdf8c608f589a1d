#!/usr/bin/env bash
# Debian's Chromium and its driver, for the browser tests (tests/e2e/browser/), which drive them
# with Selenium and never let Selenium Manager download a browser.
# Source this file, then: chromium_ensure.

chromium_ensure() {
    if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
        return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "Chromium is not installed; install Debian's chromium and chromium-driver (as root)" >&2
        return 1
    fi
    echo "installing Debian's chromium and chromium-driver ..." >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
}
