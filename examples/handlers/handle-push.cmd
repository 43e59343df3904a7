@echo off
rem A handler for `pyun listen --exec examples\handlers\handle-push.cmd` on Windows.
rem
rem pyun runs it once per distinct push it received and stored: the push's fields come as one
rem JSON object on standard input (UTF-8), its kind (payment, leave, unknown) in PYUN_PUSH_KIND
rem and its key (pay_serial or parking_serial, percent-encoded) in PYUN_PUSH_KEY. Exit code 0
rem means "handled": only then does pyun answer the platform {"code":"1001"}; any other code, and
rem the push is handed over again later. This one appends the push to handled-pushes.jsonl and a
rem line to handled-pushes.log in the directory pyun listen runs in: put your own work here.
rem (handle-push.sh is the same for Linux; see README.md, "Receive pushes".)
setlocal
findstr "^" >>handled-pushes.jsonl
if errorlevel 2 exit /b 1
>>handled-pushes.log echo %DATE% %TIME% %PYUN_PUSH_KIND% %PYUN_PUSH_KEY%
exit /b 0
