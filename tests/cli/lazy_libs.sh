#!/usr/bin/env bash
# libcurl, libarchive, libcrypto and libcbor are opened on first use (runtime/core/lazy_*.c):
# not linked, not mapped by a run that does not need them, mapped and working
# once called, and a missing one is one clear line and exit 1.
set -u
. "$(dirname "$0")/../lib/tap.sh"
FGRUN=${FGRUN:?FGRUN must point at the fgrun binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# mapped FGRUN CODE: runs CODE, then prints which of the four libraries
# the process has mapped (space-separated, in a fixed order).
mapped() {
    "$1" -e "$2"'
        local maps = io.open("/proc/self/maps"):read("a")
        local seen = {}
        for _, lib in ipairs{"libcurl", "libarchive", "libcrypto", "libcbor"} do
            if maps:find(lib, 1, true) then seen[#seen + 1] = lib end
        end
        io.write(table.concat(seen, " "))' 2>&1
}

linked=$(ldd "$FGRUN" | grep -Eo 'lib(curl|archive|crypto|ssl|cbor)[^ ]*' | tr '\n' ' ')
expect_eq "not linked against libcurl, libarchive, OpenSSL or libcbor" "" "$linked"

expect_eq "json and uuid4 map none of them" "" \
    "$(mapped "$FGRUN" 'require("json").decode("[1]"); require("fgrun").uuid4()')"

expect_eq "an HTTP handle maps libcurl" "libcurl" \
    "$(mapped "$FGRUN" 'require("net.http").new()' | grep -o libcurl)"

expect_eq "sha256 through libcrypto" \
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" \
    "$("$FGRUN" -e 'io.write(require("aws.sigv4").sha256_hex("abc"))' 2>&1)"
expect_eq "signing maps libcrypto" "libcrypto" \
    "$(mapped "$FGRUN" 'require("aws.sigv4").sha256_hex("abc")' | grep -o libcrypto)"

expect_eq "a CBOR body read through libcbor" "true" \
    "$("$FGRUN" -e 'io.write(tostring(require("aws.shape_cbor").value("\xa1\x61\x61\xf5").a))' 2>&1)"
expect_eq "reading CBOR maps libcbor" "libcbor" \
    "$(mapped "$FGRUN" 'require("aws.shape_cbor").value("\xa0")' | grep -o libcbor)"

mkdir -p "$tmp/ctx"
printf 'FROM scratch\n' > "$tmp/ctx/Dockerfile"
echo hi > "$tmp/ctx/a.txt"
expect_eq "a build context written through libarchive" "libarchive" \
    "$(mapped "$FGRUN" "require('docker.engine').context_write('$tmp/ctx', nil, '$tmp/ctx.tar')" \
       | grep -o libarchive)"
expect_eq "the tar stream holds the context" "Dockerfile a.txt" \
    "$(tar -tf "$tmp/ctx.tar" 2>&1 | sort | tr '\n' ' ' | sed 's/ $//')"

# A copy whose soname names a library that does not exist (same length).
sed 's/libcurl\.so\.4/libcurl.so.9/' "$FGRUN" > "$tmp/fgrun" && chmod +x "$tmp/fgrun"
out=$("$tmp/fgrun" -e 'require("net.http").new() print("unreachable")' 2>"$tmp/err"); rc=$?
expect_eq "a missing library exits 1" "1" "$rc"
expect_eq "and prints nothing on stdout" "" "$out"
expect_match "one line naming the library and its Debian package" \
    '^fgrun: cannot load libcurl\.so\.9 \(Debian package libcurl4\): .*libcurl\.so\.9' "$(cat "$tmp/err")"
expect_eq "only that line" "1" "$(wc -l < "$tmp/err")"
expect_eq "a run that does not need it is unaffected" "2" "$("$tmp/fgrun" -e 'print(1+1)' 2>&1)"

tap_done
