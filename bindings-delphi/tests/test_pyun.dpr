(* test_pyun.dpr: Pyun.pas against libpyun.so / pyun.dll and a sandbox.

     test_pyun URL FAULTY_URL DATA_DIR WORK_DIR

   The secret comes from PYUN_APP_SECRET. Prints one line per check and "N passed, N failed"
   last; exit status 1 when a check failed.

   Free Pascal: fpc -Mdelphi test_pyun.dpr (AnsiString, GBK: charset 936), or with
   -dPYUN_UNICODE (UnicodeString, UTF-8: {$mode delphiunicode}, as Delphi 2009+). The same
   source compiles in Delphi 7 and Delphi 2009+. *)
program test_pyun;

{$IFDEF FPC}
  {$IFDEF PYUN_UNICODE}{$MODE DELPHIUNICODE}{$ELSE}{$MODE DELPHI}{$ENDIF}
  {$H+}
{$ENDIF}
{$IFDEF MSWINDOWS}{$APPTYPE CONSOLE}{$ENDIF}

uses
{$IFDEF FPC}{$IFDEF UNIX}
  cthreads, { the sender and log callbacks run on threads pyun started }
{$ENDIF}{$ENDIF}
  SysUtils, Classes, SyncObjs, Pyun;

const
  VECTOR_SIGN = 'F58EDB51E299C99BE0E24D84739994CA';
  WRONG_SECRET = 'Dp7-wrong-secret-never-shown-4e1a';
{$IFDEF UNICODE}
  { UnicodeString: the wrappers send UTF-8. }
  ZH_LINSHICHE = #$4E34#$65F6#$8F66;          { 临时车 }
  ZH_RUKOUMINGCHENG = #$5165#$53E3#$540D#$79F0; { 入口名称 }
  ZH_FANGWENKEHU = #$8BBF#$95EE#$5BA2#$6237;    { 访问客户 }
  ZH_RUKOUBAOAN = #$5165#$53E3#$4FDD#$5B89;     { 入口保安 }
  ZH_YUE = #$7CA4;                              { 粤 }
  ZH_DONGMEN = #$4E1C#$95E8#$5165#$53E3;        { 东门入口 }
{$ELSE}
  { AnsiString in code page 936 (GBK), as a Chinese Delphi 7 program holds them. }
  ZH_LINSHICHE = #$C1#$D9#$CA#$B1#$B3#$B5;
  ZH_RUKOUMINGCHENG = #$C8#$EB#$BF#$DA#$C3#$FB#$B3#$C6;
  ZH_FANGWENKEHU = #$B7#$C3#$CE#$CA#$BF#$CD#$BB#$A7;
  ZH_RUKOUBAOAN = #$C8#$EB#$BF#$DA#$B1#$A3#$B0#$B2;
  ZH_YUE = #$D4#$C1;
  ZH_DONGMEN = #$B6#$AB#$C3#$C5#$C8#$EB#$BF#$DA;
{$ENDIF}

type
  { Collects sender events and log records (called on pyun's threads). }
  TCollector = class
  public
    Lock: TCriticalSection;
    Events: TStringList;
    Logs: TStringList;
    constructor Create;
    destructor Destroy; override;
    procedure OnEvent(const EventJson: PyunString);
    procedure OnLog(Level: Cardinal; const Target, Message: PyunString);
  end;

var
  Passed, Failed: Integer;
  Url, FaultyUrl, DataDir, WorkDir, Secret, Run: PyunString;

constructor TCollector.Create;
begin
  inherited Create;
  Lock := TCriticalSection.Create;
  Events := TStringList.Create;
  Logs := TStringList.Create;
end;

destructor TCollector.Destroy;
begin
  Events.Free;
  Logs.Free;
  Lock.Free;
  inherited Destroy;
end;

procedure TCollector.OnEvent(const EventJson: PyunString);
begin
  Lock.Enter;
  try
    Events.Add(EventJson);
  finally
    Lock.Leave;
  end;
end;

procedure TCollector.OnLog(Level: Cardinal; const Target, Message: PyunString);
begin
  Lock.Enter;
  try
    Logs.Add(IntToStr(Level) + ' ' + Target + ': ' + Message);
  finally
    Lock.Leave;
  end;
end;

procedure Check(Ok: Boolean; const Name: PyunString);
begin
  if Ok then
  begin
    Inc(Passed);
    WriteLn('ok   ', Name);
  end
  else
  begin
    Inc(Failed);
    WriteLn('FAIL ', Name);
  end;
end;

procedure Unexpected(const Name: PyunString; E: Exception);
begin
  Inc(Failed);
  if E is EPyunError then
    WriteLn('FAIL ', Name, ': ', E.ClassName, ' code ', EPyunError(E).Code, ': ', E.Message)
  else
    WriteLn('FAIL ', Name, ': ', E.ClassName, ': ', E.Message);
end;

function Contains(const S, Sub: PyunString): Boolean;
begin
  Result := Pos(Sub, S) > 0;
end;

{ A JSON string literal (paths hold backslashes on Windows). }
function JsonStr(const S: PyunString): PyunString;
var
  I: Integer;
begin
  Result := '"';
  for I := 1 to Length(S) do
  begin
    if (S[I] = '"') or (S[I] = '\') then Result := Result + '\';
    Result := Result + S[I];
  end;
  Result := Result + '"';
end;

{ The integer after "Key": in S from position From (0 when missing). }
function JsonInt(const S, Key: PyunString; From: Integer = 1): Int64;
var
  P, E: Integer;
  T: PyunString;
begin
  Result := 0;
  T := Copy(S, From, MaxInt);
  P := Pos('"' + Key + '":', T);
  if P = 0 then Exit;
  P := P + Length(Key) + 3;
  E := P;
  while (E <= Length(T)) and (T[E] >= '0') and (T[E] <= '9') do Inc(E);
  Result := StrToInt64Def(Copy(T, P, E - P), 0);
end;

{ The string member Key of a JSON object T, up to an escape or its end ('' when absent). }
function JsonText(const T, Key: PyunString): PyunString;
var
  P, E: Integer;
begin
  Result := '';
  P := Pos('"' + Key + '":"', T);
  if P = 0 then Exit;
  P := P + Length(Key) + 4;
  E := P;
  while (E <= Length(T)) and (T[E] <> '"') and (T[E] <> '\') do Inc(E);
  Result := Copy(T, P, E - P);
end;

function ReadBytes(const Path: PyunString): PyunBytes;
var
  F: TFileStream;
begin
  F := TFileStream.Create(Path, fmOpenRead or fmShareDenyWrite);
  try
    SetLength(Result, F.Size);
    if F.Size > 0 then F.ReadBuffer(Result[1], F.Size);
  finally
    F.Free;
  end;
end;

{ StringReplace on the program's strings. Free Pascal 3.2's StringReplace takes AnsiStrings: a
  UnicodeString goes through the system code page on the way, and under LANG=C every Chinese
  character becomes '?' (pyun now refuses such a plate; before, this test sent "?B12345").
  Delphi 2009+'s StringReplace is Unicode. }
function Replace(const S, OldPattern, NewPattern: PyunString): PyunString;
begin
{$IF DEFINED(FPC) AND DEFINED(UNICODE)}
  Result := UnicodeStringReplace(S, OldPattern, NewPattern, []);
{$ELSE}
  Result := StringReplace(S, OldPattern, NewPattern, []);
{$IFEND}
end;

{ examples/data/*.json: UTF-8 files. A UnicodeString in a Unicode program; the bytes (to be
  passed with charset 65001) in an ANSI one. }
function ReadUtf8(const Path: PyunString): PyunString;
begin
{$IFDEF UNICODE}
  Result := UTF8ToString(ReadBytes(Path));
{$ELSE}
  Result := ReadBytes(Path);
{$ENDIF}
end;

function Vector: PyunString;
begin
  Result := '{"car_color":"1","car_desc":"' + ZH_LINSHICHE + '","car_type":"1",' +
    '"enter_gate":"' + ZH_RUKOUMINGCHENG + '",' +
    '"enter_image":"https://t7.baidu.com/it/u=1595072465,3644073269&fm=193&f=GIF",' +
    '"enter_image_hash":"3EF48C1A8A95DF308EFF872082280815",' +
    '"enter_release_reason":"' + ZH_FANGWENKEHU + '",' +
    '"enter_security":"' + ZH_RUKOUBAOAN + '",' +
    '"enter_time":"1624874732253","park_uuid":"49f0cc52-e8c7-41e3-b54d-af666b8cc11a",' +
    '"parking_serial":"202106028000000007","plate":"' + ZH_YUE + 'X44444",' +
    '"plate_color":"1","remain_parking_space":"10","total_parking_space":"100",' +
    '"vehicle_type":"1"}';
end;

{ An enter record in the program's own strings (GBK or Unicode). }
function Enter(const Serial: PyunString; PlateNo: Integer): PyunString;
begin
  Result := '{"park_uuid":"49f0cc52-e8c7-41e3-b54d-af666b8cc11a","parking_serial":"' + Serial +
    '","plate":"' + ZH_YUE + 'B' + Format('%.5d', [PlateNo mod 100000]) + '","plate_color":1,' +
    '"enter_time":"1763791200000","enter_gate":"' + ZH_DONGMEN + '","car_type":1,' +
    '"car_desc":"' + ZH_LINSHICHE + '","charge_type":"1","vehicle_type":1,"total_parking_space":"100",' +
    '"remain_parking_space":"57"}';
end;

{ Bytes of an ASCII (or, in a Unicode program, any) string as UTF-8. }
function ToUtf8Bytes(const S: PyunString): PyunBytes;
begin
{$IFDEF UNICODE}
  Result := UTF8Encode(S);
{$ELSE}
  Result := S;
{$ENDIF}
end;

function Config(const ASecret, AUrl: PyunString; const Extra: PyunString = ''): PyunString;
begin
  Result := '{"app_secret":' + JsonStr(ASecret) + ',"base_url":' + JsonStr(AUrl) + Extra + '}';
end;

procedure TestSign;
var
  V, C: PyunString;
  Raw: PyunCStr;
  P: PAnsiChar;
  Rc: TPyunResult;
begin
  Check(PyunVersion = PYUN_VERSION_STRING, 'PyunVersion = ' + PyunVersion);
  { The raw declaration, with the bytes and charset the wrapper would use. }
  V := Vector;
{$IFDEF UNICODE}
  Raw := UTF8Encode(V);
  Rc := pyun_sign(PAnsiChar(Raw), '123', PYUN_CHARSET_UTF8, @P);
{$ELSE}
  Raw := V;
  Rc := pyun_sign(PAnsiChar(Raw), '123', PYUN_CHARSET_GBK, @P);
{$ENDIF}
  Check((Rc = PYUN_RESULT_OK) and (StrPas(P) = VECTOR_SIGN), 'pyun_sign (cdecl): page 001 vector');
  pyun_string_free(P);
  try
    Check(PyunSign(V, '123') = VECTOR_SIGN, 'PyunSign: page 001 vector, secret 123 (' +
{$IFDEF UNICODE} 'UnicodeString, UTF-8' {$ELSE} 'AnsiString, GBK 936' {$ENDIF} + ')');
{$IFNDEF UNICODE}
    Check(PyunSign(V, '123', PYUN_CHARSET_GB18030) = VECTOR_SIGN,
      'PyunSign: the same bytes read as GB18030 (54936)');
{$ENDIF}
    C := PyunCanonicalString(V);
    Check(Contains(C, 'plate=' + ZH_YUE + 'X44444&') and Contains(C, '&app_secret=***') and
      not Contains(C, '123&'), 'PyunCanonicalString: the plate in the program''s strings, secret masked');
  except
    on E: Exception do Unexpected('sign', E);
  end;
  try
    PyunSign(V, '');
    Check(False, 'an empty secret: EPyunConfig');
  except
    on E: EPyunConfig do Check(E.Code = PYUN_RESULT_CONFIG, 'an empty secret: EPyunConfig, code 7');
    on E: Exception do Unexpected('an empty secret: EPyunConfig', E);
  end;
  try
    PyunSign('{', '123');
    Check(False, 'not JSON: EPyunMalformedJson');
  except
    on E: EPyunMalformedJson do
      Check((E.Code = PYUN_RESULT_MALFORMED_JSON) and (E.Message <> ''),
        'not JSON: EPyunMalformedJson with the last error: ' + E.Message);
    on E: Exception do Unexpected('not JSON: EPyunMalformedJson', E);
  end;
  Check(PyunLastError <> '', 'PyunLastError after a failure');
end;

procedure TestVerify;
var
  Push, Tampered, Parsed: PyunString;
begin
  try
    Push := PyunSignPush('{"parking_serial":"' + Run + '-v","plate":"' + ZH_YUE +
      'B12345","paid_value":"900"}', Secret, 'pyun-delphi');
    Check(Contains(Push, '"sign"') and Contains(Push, ZH_YUE + 'B12345'),
      'PyunSignPush: signed, the plate intact');
    Check(PyunVerify(Push, Secret) = 1, 'PyunVerify: the signed push holds (rule 1)');
    Check(PyunIsValidPush(Push, Secret), 'PyunIsValidPush: True');
    Tampered := Replace(Push, '"900"', '"9000"');
    Check(not PyunIsValidPush(Tampered, Secret), 'PyunIsValidPush: a tampered push is False');
    Check(not PyunIsValidPush(Push, WRONG_SECRET), 'PyunIsValidPush: another secret is False');
    try
      PyunVerify(Tampered, Secret);
      Check(False, 'PyunVerify of a tampered push: EPyunSignatureInvalid');
    except
      on E: EPyunSignatureInvalid do
        Check(E.Code = PYUN_RESULT_SIGNATURE_INVALID,
          'PyunVerify of a tampered push: EPyunSignatureInvalid: ' + E.Message);
    end;
    Push := PyunSignPush('{"parking_serial":"' + Run + '-v","paid_value":"900"}', Secret, 'pyun-delphi');
    Check((PyunVerifyPushRequest('application/json', ToUtf8Bytes(Push), Secret, Parsed) = 1) and
      Contains(Parsed, '"fields"'), 'PyunVerifyPushRequest: the push as a JSON body');
    Check(Contains(PyunParsePushRequest('', ToUtf8Bytes(Push)), Run + '-v'),
      'PyunParsePushRequest: content type sniffed');
  except
    on E: Exception do Unexpected('verify', E);
  end;
end;

procedure TestPush;
var
  Client, Gbk, Strict, Down: TPyunClient;
  Record_, Files, Hint: PyunString;
  R: TPyunPushResult;
  Req: TPyunRequest;
  Body: PyunBytes;
  H: Pointer;
  Outcome: TPyunOutcome;
begin
  Files := '{"enter_image_file":' + JsonStr(DataDir + '/enter.gif') + '}';
  { examples/data/enter.json as it is (UTF-8), with its photo. }
  Record_ := Replace(ReadUtf8(DataDir + '/enter.json'), 'DEMO-20261122-0001', Run + '-1');
  Client := TPyunClient.Create(Config(Secret, Url, ',"timeout_ms":30000'), PYUN_CHARSET_UTF8);
  try
    try
      R := Client.Push('enter', Record_, Files);
      Check((R.Outcome = PYUN_OUTCOME_ACCEPTED) and Contains(R.Json, '"seqno"'),
        'TPyunClient.Push: enter.json + enter.gif accepted');
      Req := Client.BuildRequest('enter', Record_, Files);
      try
        Body := Req.Info;
        Check(Contains(Body, '"content_type"') and Contains(Body, '"sign"'), 'TPyunRequest.Info');
        Body := Req.Body;
        Check((Length(Body) > 100) and (Pos('GIF8', Body) > 0), 'TPyunRequest.Body holds the photo');
        { The hint a wrong secret gets for this request: its canonical string, which holds the
          photo's enter_image_hash. Explained with the photo: a wrong secret; without it, the
          platform seems to have seen other fields. }
        Hint := '[' + JsonText(Req.Info, 'canonical') + ']';
        Check(Contains(PyunExplainFiles(Hint, 'enter', Record_, Files, PYUN_CHARSET_UTF8),
          '"cause":"wrong_secret"'), 'PyunExplainFiles: with the photo, a wrong secret');
        Check(Contains(PyunExplain(Hint, 'enter', Record_, PYUN_CHARSET_UTF8),
          '"cause":"fields_differ"'), 'PyunExplain: without the photo, fields differ');
        Check(Contains(PyunExplainFiles(Hint, 'enter', Record_, '', PYUN_CHARSET_UTF8),
          '"cause":"fields_differ"'), 'PyunExplainFiles: an empty FilesJson is no photo');
      finally
        Req.Free;
      end;
      try
        Client.Push('enter', '{"plate":"x"}');
        Check(False, 'an invalid record: EPyunValidation');
      except
        on E: EPyunValidation do Check(E.Code = PYUN_RESULT_VALIDATION,
          'an invalid record: EPyunValidation: ' + E.Message);
      end;
      try
        Client.Push('enter', Record_, '{"enter_image_file":' + JsonStr(DataDir + '/missing.gif') + '}');
        Check(False, 'a missing photo: EPyunFile');
      except
        on E: EPyunFile do Check(E.Code = PYUN_RESULT_FILE, 'a missing photo: EPyunFile');
      end;
    except
      on E: Exception do Unexpected('push', E);
    end;
    H := Client.Handle;
  finally
    Client.Free;
  end;
  { A freed client: the stale pointer is refused, not read. }
  Outcome := -1;
  Check(pyun_client_push(H, 'enter', '{}', nil, @Outcome, nil) = PYUN_RESULT_INVALID_HANDLE,
    'a freed TPyunClient''s handle: PYUN_RESULT_INVALID_HANDLE');

  { GBK (or Unicode) strings of the program, the client's charset the default. }
  Gbk := TPyunClient.Create(Config(Secret, Url));
  try
    try
      R := Gbk.Push('enter', Enter(Run + '-g0001', 1), Files);
      Check(R.Outcome = PYUN_OUTCOME_ACCEPTED,
        {$IFDEF UNICODE}'a Chinese plate, UTF-8 from UnicodeString: accepted'
        {$ELSE}'a Chinese plate in GBK (charset 936): accepted'{$ENDIF});
      Check(Contains(R.Json, ZH_YUE + 'B'), 'the result JSON comes back in the program''s charset');
      Check(Contains(PyunExplain('', '', '{"a":"1"}'), '"cause"'), 'PyunExplain answers a cause');
    except
      on E: Exception do Unexpected('GBK push', E);
    end;
  finally
    Gbk.Free;
  end;

  { A refusal: strict mode, a wrong secret. }
  Strict := TPyunClient.Create(Config(WRONG_SECRET, Url, ',"strict":true'));
  try
    try
      Strict.Push('enter', Enter(Run + '-s0001', 2));
      Check(False, 'a wrong secret, strict: EPyunRejected');
    except
      on E: EPyunRejected do
      begin
        Check((E.Code = PYUN_RESULT_REJECTED) and Contains(E.ResultJson, 'wrong_secret'),
          'a wrong secret, strict: EPyunRejected, outcome ' + IntToStr(E.Outcome) +
          ', diagnosis wrong_secret');
        Check(not Contains(E.Message, WRONG_SECRET) and not Contains(E.ResultJson, WRONG_SECRET),
          'the secret is neither in the message nor the result');
      end;
      on E: Exception do Unexpected('a wrong secret, strict: EPyunRejected', E);
    end;
  finally
    Strict.Free;
  end;

  Down := TPyunClient.Create(Config(Secret, 'http://127.0.0.1:1',
    ',"max_attempts":1,"connect_timeout_ms":1000'));
  try
    try
      Down.Push('enter', Enter(Run + '-d0001', 3));
      Check(False, 'no server: EPyunTransport');
    except
      on E: EPyunTransport do Check(E.Code = PYUN_RESULT_TRANSPORT, 'no server: EPyunTransport');
      on E: Exception do Unexpected('no server: EPyunTransport', E);
    end;
  finally
    Down.Free;
  end;
  try
    TPyunClient.Create('{"app_secret":""}');
    Check(False, 'a client with an empty secret: EPyunConfig');
  except
    on E: EPyunConfig do Check(True, 'a client with an empty secret: EPyunConfig');
    on E: Exception do Unexpected('a client with an empty secret: EPyunConfig', E);
  end;
end;

{ VB6 / Delphi 7 read results without a JSON parser: PyunJsonField; times from TDateTime. }
procedure TestReadingResults;
var
  Client: TPyunClient;
  R: TPyunPushResult;
  V: PyunString;
  Ms: Int64;
begin
  Client := TPyunClient.Create(Config(WRONG_SECRET, Url));
  try
    try
      R := Client.Push('enter', Enter(Run + '-j0001', 4));
      Check(PyunJsonField(R.Json, 'outcome') = 'ignored', 'PyunJsonField: outcome "ignored"');
      Check(Contains(PyunJsonField(R.Json, 'hint'), '&app_secret=***]'),
        'PyunJsonField: the hint, unquoted');
      Check(PyunJsonField(R.Json, 'code') = '200', 'PyunJsonField: code');
      Check(Length(PyunJsonField(R.Json, 'seqno')) > 0, 'PyunJsonField: seqno');
      Check(PyunJsonField(R.Json, 'diagnosis.cause') = 'wrong_secret',
        'PyunJsonField: diagnosis.cause (a dotted path)');
      Check(PyunJsonField(R.Json, 'attempts') = '1', 'PyunJsonField: a number as written');
      Check(not PyunJsonHasField(R.Json, 'no_such_field', V) and (V = ''),
        'PyunJsonHasField: an absent field is False and empty');
      Check(PyunJsonField('[{"seq":7},{"seq":8}]', 'length') = '2', 'PyunJsonField: length');
      Check(PyunJsonField('[{"seq":7},{"seq":8}]', '1.seq') = '8', 'PyunJsonField: 1.seq');
      Check(PyunJsonField('{"plate":"' + ZH_YUE + 'B12345"}', 'plate') = ZH_YUE + 'B12345',
        'PyunJsonField: text in the program''s charset');
    except
      on E: Exception do Unexpected('PyunJsonField', E);
    end;
    try
      PyunJsonField('{"a":', 'a');
      Check(False, 'PyunJsonField on broken JSON: EPyunMalformedJson');
    except
      on E: EPyunMalformedJson do Check(True, 'PyunJsonField on broken JSON: EPyunMalformedJson');
      on E: Exception do Unexpected('PyunJsonField on broken JSON', E);
    end;
  finally
    Client.Free;
  end;
  try
    Ms := PyunEpochMs(EncodeDate(2021, 6, 28) + EncodeTime(18, 5, 32, 253));
    Check(PyunEpochMs(EncodeDate(2021, 6, 29) + EncodeTime(18, 5, 32, 253)) - Ms = 86400000,
      'PyunEpochMs: a day later is 86400000 ms later');
    { scripts/test-c.sh runs this test with TZ=Asia/Shanghai: page 001's enter_time. }
    if GetEnvironmentVariable('TZ') = 'Asia/Shanghai' then
      Check(Ms = 1624874732253, 'PyunEpochMs: 2021-06-28 18:05:32.253 Beijing = 1624874732253: ' +
        IntToStr(Ms));
  except
    on E: Exception do Unexpected('PyunEpochMs', E);
  end;
  try
    PyunEpochMs(EncodeDate(1970, 1, 2));
    Check(False, 'PyunEpochMs of 1970: EPyunArgument');
  except
    on E: EPyunArgument do Check(Contains(E.Message, '1970-01-02'),
      'PyunEpochMs of 1970: EPyunArgument naming the time: ' + E.Message);
    on E: Exception do Unexpected('PyunEpochMs of 1970', E);
  end;
end;

procedure TestOutbox(const SendUrl: PyunString);
const
  N = 20;
var
  Client: TPyunClient;
  Outbox: TPyunOutbox;
  Sender: TPyunSender;
  Col: TCollector;
  Ids: array[0..N - 1] of Int64;
  Accepted: array[0..N - 1] of Boolean;
  I, J, P, Got, Count: Integer;
  LastSeq, Seq, Id: Int64;
  Events, Ev, Status: PyunString;
  Deadline: TDateTime;
  Ordered: Boolean;
begin
  Col := TCollector.Create;
  Client := TPyunClient.Create(Config(Secret, SendUrl,
    ',"timeout_ms":3000,"connect_timeout_ms":2000,"max_attempts":2,"max_backoff_ms":500'));
  Outbox := TPyunOutbox.Create(WorkDir + '/' + Run + '-delphi-outbox.db');
  try
    try
      for I := 0 to N - 1 do
      begin
        if I = 0 then
          Ids[I] := Outbox.Enqueue('enter', Enter(Run + '-o' + Format('%.4d', [I]), 100 + I),
            '{"enter_image_file":' + JsonStr(DataDir + '/enter.gif') + '}')
        else
          Ids[I] := Outbox.Enqueue('enter', Enter(Run + '-o' + Format('%.4d', [I]), 100 + I));
        Accepted[I] := False;
      end;
      Check(Ids[0] > 0, 'TPyunOutbox.Enqueue with a photo and a GBK plate: id ' + IntToStr(Ids[0]));
      Check(JsonInt(Outbox.Counts, 'pending') = N, 'Counts: ' + IntToStr(N) + ' pending');
      Check(JsonInt(Outbox.Head, 'id') = Ids[0], 'Head: the first record');
      try
        Outbox.Enqueue('enter', '{"plate":"x"}');
        Check(False, 'Enqueue of an invalid record: EPyunValidation');
      except
        on E: EPyunValidation do Check(True, 'Enqueue of an invalid record: EPyunValidation');
      end;

      Sender := Outbox.StartSender(Client, 50, Col.OnEvent);
      try
        { Wait through pyun_outbox_events, as a VB6/Delphi 7 timer would. }
        LastSeq := 0;
        Got := 0;
        Ordered := True;
        Deadline := Now + 120 / 86400;
        while (Got < N) and (Now < Deadline) do
        begin
          Events := Outbox.Events(LastSeq, 100);
          P := Pos('"seq":', Events);
          while P > 0 do
          begin
            Seq := JsonInt(Events, 'seq', P);
            if Seq <= LastSeq then Ordered := False;
            LastSeq := Seq;
            Ev := Copy(Events, P + 6, MaxInt);
            J := Pos('"seq":', Ev);
            if J > 0 then Ev := Copy(Ev, 1, J - 1);
            if Contains(Ev, '"kind":"accepted"') then
            begin
              Id := JsonInt(Ev, 'record_id');
              for I := 0 to N - 1 do
                if (Ids[I] = Id) and not Accepted[I] then
                begin
                  Accepted[I] := True;
                  Inc(Got);
                end;
            end;
            if J > 0 then P := P + 6 + J - 1 else P := 0;
          end;
          Sleep(50);
        end;
        Check(Got = N, 'pyun_outbox_events: ' + IntToStr(Got) + ' of ' + IntToStr(N) +
          ' records accepted through ' + SendUrl);
        Check(Ordered, 'the events come in order of seq');
      finally
        Sender.Free; { pyun_sender_stop }
      end;
      Col.Lock.Enter;
      try
        Count := 0;
        for I := 0 to Col.Events.Count - 1 do
          if Contains(Col.Events[I], '"kind":"accepted"') then Inc(Count);
      finally
        Col.Lock.Leave;
      end;
      Check(Count >= N, 'the event callback (sender thread) saw ' + IntToStr(Count) + ' accepted');
      Status := Outbox.RecordStatus(Ids[0]);
      Check(Contains(Status, '"state":"done"') and Contains(Status, '"seqno"'),
        'TPyunOutbox.RecordStatus: done');
      Check(Outbox.RecordStatus(999999999) = 'null', 'RecordStatus of no record: null');
      Check(Contains(Outbox.Find(Run + '-o0001'), '"state":"done"'), 'TPyunOutbox.Find by serial');
      Check(JsonInt(Outbox.Counts, 'done') = N, 'Counts: ' + IntToStr(N) + ' done');
      Check(Outbox.Head = 'null', 'Head: nothing pending');
      Check(Outbox.DeadLetters = '[]', 'no dead letters');
      Check(Outbox.RetryDead = 0, 'RetryDead: none');
      Check(Contains(Outbox.Drain(Client), '"accepted"'), 'TPyunOutbox.Drain: a report');
    except
      on E: Exception do Unexpected('outbox', E);
    end;
  finally
    Outbox.Free;
    Client.Free;
    Col.Free;
  end;
end;

procedure TestLog;
var
  Col: TCollector;
  Client: TPyunClient;
  I, Count: Integer;
  Leaked: Boolean;
begin
  Col := TCollector.Create;
  try
    try
      PyunSetLogCallback(Col.OnLog, PYUN_LOG_DEBUG);
      PyunSetLogFile(WorkDir + '/' + Run + '-delphi.log', PYUN_LOG_DEBUG, 1 shl 20);
      Client := TPyunClient.Create(Config(Secret, Url));
      try
        Client.Push('enter', Enter(Run + '-l0001', 4));
      finally
        Client.Free;
      end;
      PyunSetLogCallback(nil, PYUN_LOG_OFF);
      PyunSetLogFile('', PYUN_LOG_OFF, 0);
      Col.Lock.Enter;
      try
        Count := Col.Logs.Count;
        Leaked := False;
        for I := 0 to Count - 1 do
          if Contains(Col.Logs[I], Secret) then Leaked := True;
      finally
        Col.Lock.Leave;
      end;
      Check(Count > 0, 'PyunSetLogCallback: ' + IntToStr(Count) + ' records');
      Check(not Leaked, 'no log record holds the secret');
      Check(FileExists(WorkDir + '/' + Run + '-delphi.log'), 'PyunSetLogFile: the file was written');
    except
      on E: Exception do Unexpected('log', E);
    end;
  finally
    Col.Free;
  end;
end;

begin
  if ParamCount < 4 then
  begin
    WriteLn('usage: test_pyun URL FAULTY_URL DATA_DIR WORK_DIR');
    Halt(2);
  end;
  Url := ParamStr(1);
  FaultyUrl := ParamStr(2);
  DataDir := ParamStr(3);
  WorkDir := ParamStr(4);
  Secret := GetEnvironmentVariable('PYUN_APP_SECRET');
  if Secret = '' then Secret := '123';
  Run := 'dp' + {$IFDEF UNICODE}'u'{$ELSE}'a'{$ENDIF} + FormatDateTime('hhnnsszzz', Now);
  WriteLn('Pyun.pas tests, libpyun ', PyunVersion,
    {$IFDEF UNICODE}', UnicodeString / UTF-8'{$ELSE}', AnsiString / GBK 936'{$ENDIF});
  TestSign;
  TestVerify;
  TestPush;
  TestReadingResults;
  TestOutbox(FaultyUrl);
  TestLog;
  WriteLn(Passed, ' passed, ', Failed, ' failed');
  if Failed > 0 then Halt(1);
end.
