# Sourced by scripts/windows.sh and scripts/wheels.sh: one wineserver per wine prefix for the
# whole run. By default a wineserver exits a few seconds after its prefix's last program, and a
# program starting just then loses it ("wine client error:0: recvmsg: Connection reset by
# peer", exit 1 with no output: seen in both scripts). A persistent one (-p) never exits until
# killed (the caller's cleanup: wine_server_stop).
#
# Wine's own programs (services.exe, winedevice.exe, explorer.exe, rpcss.exe ...) start with the
# first program of a server and keep that program's standard error; under a persistent server
# they live on, so a pipe there (`$(wine ... 2>&1)`, `wine ... | tee`) would never close and
# its reader would wait forever (what hung the first try of this). They are started here by a
# program whose standard streams are all /dev/null, as is the server's own.

# wine_server_start WINESERVER WINE PREFIX: a persistent wineserver for PREFIX (an existing
# one first ends: -w waits for it, -p refuses while one runs), and wine's own programs started.
wine_server_start() {
  local server=$1 wine=$2 prefix=$3
  WINEPREFIX=$prefix timeout 30 "$server" -w || WINEPREFIX=$prefix timeout 30 "$server" -k || true
  WINEPREFIX=$prefix "$server" -p </dev/null >/dev/null 2>&1 \
    && WINEPREFIX=$prefix timeout 120 "$wine" cmd /c exit 0 </dev/null >/dev/null 2>&1
}

# wine_server_stop WINESERVER PREFIX: ends PREFIX's wineserver and every program of it.
wine_server_stop() {
  WINEPREFIX=$2 timeout 30 "$1" -k 2>/dev/null || true
}
