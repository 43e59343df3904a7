#!/bin/sh
# A handler for `pyun listen --exec 'sh examples/handlers/handle-push.sh'`.
#
# pyun runs it once per distinct push it received and stored (a push the platform resends is
# not handed over twice): the push's fields come as one JSON object on standard input, its kind
# (`payment`, `leave`, `unknown`) in PYUN_PUSH_KIND and its key (`pay_serial` or
# `parking_serial`, percent-encoded) in PYUN_PUSH_KEY. Exit status 0 means "handled": only then
# does pyun answer the platform {"code":"1001"}; any other status, and the platform sends the
# push again later (pyun listen keeps it and tries the handler again).
#
# This one appends the push to handled-pushes.jsonl and a line to handled-pushes.log, in the
# directory pyun listen runs in. Put your own work here: open the barrier, mark the order paid.
#
# 处理程序示例：pyun listen 每收到一条（去重后的）推送运行一次，推送字段以 JSON 从标准输入传入，
# 类型与主键在环境变量 PYUN_PUSH_KIND / PYUN_PUSH_KEY 中；退出码 0 表示已处理，pyun 随后才向平台
# 应答 {"code":"1001"}。
set -eu
fields=$(cat)
printf '%s\n' "$fields" >>handled-pushes.jsonl
printf '%s %s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${PYUN_PUSH_KIND:-unknown}" \
  "${PYUN_PUSH_KEY:-}" >>handled-pushes.log
