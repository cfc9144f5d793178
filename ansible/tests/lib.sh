# Shared by ansible/tests/test-deploy and scripts/sizing: a fresh Debian root filesystem made
# with debootstrap (cached), the playbook run into it through Ansible's chroot connection, and
# the cleanup of everything started and mounted there. Sourced, not run.
#
# The caller sets: repo (the checkout), and may set DEBIAN_SUITE, MAILLE_BINARY,
# MAILLE_DEPLOY_CACHE, KEEP_ROOT (see test-deploy's header). It gets: $work, $root, $suite,
# $binary, $venv, the functions say, fail, free_ports, playbook, recap, and an EXIT trap.

started_at=$(date +%s)
cache=${MAILLE_DEPLOY_CACHE:-$HOME/.cache/maille/debootstrap}
suite=${DEBIAN_SUITE:-bookworm}
venv=$HOME/.cache/maille/ansible-venv
case $suite in
    bookworm | trixie) ;;
    *) echo "DEBIAN_SUITE: bookworm (Debian 12) or trixie (Debian 13), not $suite" >&2; exit 2 ;;
esac

say() { printf '\n==> %s (%ss)\n' "$*" "$(( $(date +%s) - started_at ))"; }
fail() { echo "${0##*/}: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot, mount)"
mkdir -p "$cache"

# The Debian mirror this machine uses, so that the test needs no other.
mirror=$(awk '/^URIs:/ && $2 ~ /\/debian\/?$/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 ~ /\/debian\/?$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}

work=$(mktemp -d /var/tmp/maille-test-deploy.XXXXXX)
root=$work/root
maille_pids=()
# Commands run at exit before the common cleanup, and after it has stopped every process of
# the root (the caller adds its own).
cleanup_hooks=()
late_cleanup_hooks=()

cleanup() {
    local status=$?
    set +e
    echo
    echo "==> cleaning up $work"
    for hook in "${cleanup_hooks[@]}"; do eval "$hook"; done
    for pid in "${maille_pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
    if [ -x "$root/usr/sbin/nginx" ] && [ -s "$root/run/nginx.pid" ]; then
        chroot "$root" nginx -s quit 2>/dev/null
    fi
    if [ -x "$root/usr/bin/pg_ctlcluster" ]; then
        for cluster in "$root"/etc/postgresql/*/main; do
            [ -d "$cluster" ] || continue
            version=$(basename "$(dirname "$cluster")")
            chroot "$root" pg_ctlcluster "$version" main stop -m fast 2>/dev/null
        done
    fi
    # Anything still running inside this root was started by this script: stop it by its id,
    # gently first (Maille finishes its requests), then for good.
    for signal in TERM TERM TERM TERM TERM KILL; do
        pids=$(for proc in /proc/[0-9]*; do
            [ "$(readlink "$proc/root" 2>/dev/null)" = "$root" ] && echo "${proc#/proc/}"
        done)
        [ -n "$pids" ] || break
        kill -s "$signal" $pids 2>/dev/null
        sleep 2
    done
    for hook in "${late_cleanup_hooks[@]}"; do eval "$hook"; done
    if [ -d "$root/var/cache/apt/archives" ]; then
        find "$root/var/cache/apt/archives" -maxdepth 1 -name '*.deb' \
            -exec cp -n -l -t "$cache/apt-archives-$suite/" {} + 2>/dev/null \
            || find "$root/var/cache/apt/archives" -maxdepth 1 -name '*.deb' \
                -exec cp -n -t "$cache/apt-archives-$suite/" {} +
    fi
    for mount in "$root/dev" "$root/proc" "$root/sys"; do
        if mountpoint -q "$mount"; then
            umount -R "$mount" 2>/dev/null || umount -R -l "$mount"
        fi
    done
    git -C "$repo" worktree prune 2>/dev/null
    if grep -q " $root/" /proc/mounts; then
        echo "${0##*/}: mounts remain under $root; not deleting it" >&2
    elif [ "${KEEP_ROOT:-0}" = 1 ]; then
        echo "kept: $root"
    else
        rm -rf --one-file-system "$work"
    fi
    echo "${0##*/} ($suite): $( [ $status -eq 0 ] && echo passed || echo FAILED ) in $(( $(date +%s) - started_at )) s"
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Tools: debootstrap, and Ansible with the live checks' modules in their own environment.
prepare_tools() {
    say "tools"
    command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap
    if [ ! -x "$venv/bin/ansible-playbook" ]; then
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q ansible ansible-lint
    fi
    # The live checks (check-live.py, sizing) speak WebSocket and TURN with these.
    "$venv/bin/python" -c 'import websockets, aioice' 2>/dev/null || "$venv/bin/pip" install -q websockets aioice
    export PATH=$venv/bin:$PATH
}

# The binary to deploy: MAILLE_BINARY, or a release build of a clean worktree of HEAD.
prepare_binary() {
    if [ -n "${MAILLE_BINARY:-}" ]; then
        binary=$(realpath "$MAILLE_BINARY")
    else
        say "building Maille from a clean worktree of HEAD"
        local src=$work/src
        git -C "$repo" worktree add --detach "$src" HEAD >/dev/null
        export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/maille/target}
        (cd "$src" && nice -n 10 make release) || { git -C "$repo" worktree remove --force "$src"; fail "build"; }
        git -C "$repo" worktree remove --force "$src"
        binary=$CARGO_TARGET_DIR/release/maille
    fi
    [ -x "$binary" ] || fail "no binary at $binary"
    # Maille reads every MAILLE_* variable as configuration, and the chroot connection passes
    # this environment on: none of ours may reach it.
    unset $(compgen -e | grep '^MAILLE_' || true)
    echo "binary: $binary ($("$binary" --version))"
}

# A fresh Debian root in $root, from the cached debootstrap of $suite (made the first time).
prepare_root() {
    local base=$cache/$suite-base.tar.gz
    if [ ! -s "$base" ]; then
        say "debootstrap $suite from $mirror (once; cached in $base)"
        local build=$cache/$suite-build
        rm -rf --one-file-system "$build"
        # minbase plus systemd (a server has it) and CA certificates; Python is left out on
        # purpose: the playbook installs it on a server that lacks it.
        debootstrap --variant=minbase --include=systemd,systemd-sysv,ca-certificates \
            "$suite" "$build" "$mirror"
        tar --create --gzip --file "$base.tmp" --directory "$build" --numeric-owner .
        mv "$base.tmp" "$base"
        rm -rf --one-file-system "$build"
    fi
    say "unpacking the root filesystem ($suite) into $root"
    mkdir -p "$root"
    tar --extract --gzip --file "$base" --directory "$root" --numeric-owner
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    # Packages must not start services while they install: systemd does not run here, and their
    # default ports (80, 5432, 3478) belong to the host.
    printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
    chmod 0755 "$root/usr/sbin/policy-rc.d"
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount --make-rslave "$root/dev"
    # Packages downloaded by earlier runs, linked in (not mounted: runs at once must not share
    # apt's lock); those this run downloads are kept at exit (keep_packages).
    mkdir -p "$cache/apt-archives-$suite"
    # (Hard links where the cache and the root share a file system, copies otherwise.)
    find "$cache/apt-archives-$suite" -maxdepth 1 -name '*.deb' \
        -exec cp -l -t "$root/var/cache/apt/archives/" {} + 2>/dev/null \
        || find "$cache/apt-archives-$suite" -maxdepth 1 -name '*.deb' \
            -exec cp -n -t "$root/var/cache/apt/archives/" {} +
    cat > "$work/inventory" <<EOF
[maille]
maille-test ansible_host=$root ansible_connection=community.general.chroot ansible_python_interpreter=/usr/bin/python3 ansible_become_method=ansible.builtin.su
EOF
    export ANSIBLE_CONFIG=$repo/ansible/ansible.cfg
}

# N free TCP ports (the host's own services keep theirs).
free_ports() {
    python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("0.0.0.0", 0)); socks.append(s)
print(*[s.getsockname()[1] for s in socks])
EOF
}

# The playbook against the root, with $work/vars.yml and the caller's playbook_args.
playbook_args=()
playbook() { ansible-playbook -i "$work/inventory" "$repo/ansible/deploy.yml" -e "@$work/vars.yml" "${playbook_args[@]}" "$@"; }
recap() { grep -E '^maille-test +: ' "$1" | tail -n 1; }

# Proportional memory (PSS) of the programs running inside the root, by program.
memory_by_program() {
    python3 - "$root" <<'EOF'
import os, sys, collections
root, total = sys.argv[1], collections.Counter()
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        if os.readlink(f"/proc/{pid}/root") != root:
            continue
        comm = open(f"/proc/{pid}/comm").read().strip()
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Pss:"):
                total[comm.split()[0].split(":")[0]] += int(line.split()[1])
    except OSError:
        pass
for name, kib in sorted(total.items(), key=lambda item: -item[1]):
    print(f"  {name:<16} {kib / 1024:6.1f} MB")
print(f"  {'total':<16} {sum(total.values()) / 1024:6.1f} MB")
EOF
}
