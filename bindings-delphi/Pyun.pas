(* Pyun.pas: pyun (the P云 / 4pyun parking cloud) for Delphi and Free Pascal.

  The cdecl declarations of every function of include/pyun.h (PyunImports.inc, generated
  from the header by `cargo run -p xtask -- gen-kits`: keep it beside this file), and thin
  wrappers (section "Wrappers"): strings in and out, an EPyunError (subclass per result
  code) on failure, and the handles as classes that free them in their destructors:
  TPyunClient, TPyunOutbox, TPyunSender, TPyunRequest. See docs/delphi.md.

  Strings:
    Delphi 2009+ (UNICODE defined; FPC {$mode delphiunicode}): PyunString = UnicodeString;
      every string goes to the DLL as UTF-8 (UTF8Encode, charset 65001) and comes back
      through UTF8ToString. The Charset arguments are ignored.
    Delphi 7 .. 2007 (FPC {$mode delphi}): PyunString = AnsiString, passed as its bytes;
      the Charset arguments say which code page those bytes are in (0: PyunAnsiCharset,
      936 GBK unless you change it; 65001 UTF-8; 54936 GB18030).

  The library: pyun.dll on Windows (x86\pyun.dll for a 32-bit program such as every
  Delphi 7 program, x64\pyun.dll for 64-bit Delphi), libpyun.so elsewhere. *)
unit Pyun;

{$IFDEF FPC}
  {$IFDEF PYUN_UNICODE}{$MODE DELPHIUNICODE}{$ELSE}{$MODE DELPHI}{$ENDIF}
  {$H+}
{$ENDIF}
{$MINENUMSIZE 4}

interface

uses
  SysUtils;

const
{$IFDEF MSWINDOWS}
  PyunLib = 'pyun.dll';
{$ELSE}
  {$IFDEF WINDOWS}
  PyunLib = 'pyun.dll';
  {$ELSE}
  PyunLib = 'libpyun.so';
  {$ENDIF}
{$ENDIF}

  { Log levels for PyunSetLogFile / PyunSetLogCallback. }
  PYUN_LOG_OFF = 0;
  PYUN_LOG_ERROR = 1;
  PYUN_LOG_WARN = 2;
  PYUN_LOG_INFO = 3;
  PYUN_LOG_DEBUG = 4;
  PYUN_LOG_TRACE = 5;

type
  { size_t: 32 bits in a 32-bit program, 64 in a 64-bit one. }
{$IFDEF FPC}
  TPyunSize = PtrUInt;
{$ELSE}
  {$IF CompilerVersion >= 20}
  TPyunSize = NativeUInt;
  {$ELSE}
  TPyunSize = Cardinal; { Delphi 7 .. 2007: 32-bit only }
  {$IFEND}
{$ENDIF}
  PPyunSize = ^TPyunSize;

{$IFDEF UNICODE}
  PyunString = UnicodeString;
  PyunBytes = RawByteString;
  PyunCStr = RawByteString;  { the bytes handed to the DLL }
{$ELSE}
  PyunString = AnsiString;
  PyunBytes = AnsiString;
  PyunCStr = AnsiString;
{$ENDIF}

{ ---- C ABI: the constants, types and cdecl declarations of include/pyun.h, generated ---- }

{$I PyunImports.inc}

{ ---- Wrappers ---- }

type
  { Any failure of a pyun call: Code is the pyun_result, Message the DLL's last error. }
  EPyunError = class(Exception)
  private
    FCode: TPyunResult;
  public
    constructor CreateCode(ACode: TPyunResult; const AMessage: PyunString);
    property Code: TPyunResult read FCode;
  end;
  EPyunClass = class of EPyunError;

  EPyunArgument = class(EPyunError);          { 1 NULL_ARGUMENT, 2 INVALID_ARGUMENT }
  EPyunEncoding = class(EPyunError);          { 3 }
  EPyunMalformedJson = class(EPyunError);     { 4 }
  EPyunValidation = class(EPyunError);        { 5: nothing was sent or stored }
  EPyunFile = class(EPyunError);              { 6: a photo could not be read }
  EPyunConfig = class(EPyunError);            { 7 }
  EPyunSignatureInvalid = class(EPyunError);  { 8 }
  EPyunTransport = class(EPyunError);         { 9: no answer; try again later }
  { 10: the platform answered and refused the record. }
  EPyunRejected = class(EPyunError)
  private
    FOutcome: TPyunOutcome;
    FResultJson: PyunString;
  public
    property Outcome: TPyunOutcome read FOutcome;
    { The result JSON: outcome, code, message, hint, diagnosis, raw_body, ... }
    property ResultJson: PyunString read FResultJson;
  end;
  EPyunStore = class(EPyunError);             { 11 }
  EPyunRecordsLost = class(EPyunError);       { 12 }
  EPyunInvalidHandle = class(EPyunError);     { 13 }
  EPyunOutboxUnverified = class(EPyunError);  { 14: side file missing / not its own }
  EPyunNetworkShare = class(EPyunError);      { 15 }
  EPyunPanic = class(EPyunError);             { 99: a bug in pyun; please report }

  { What pyun_client_push answered (accepted, or ignored outside strict mode). }
  TPyunPushResult = record
    Outcome: TPyunOutcome;
    Json: PyunString;
  end;

  TPyunRequest = class;

  TPyunClient = class
  private
    FHandle: PPyunClientHandle;
    FCharset: Cardinal;
  public
    // ConfigJson: {"app_secret": "...", "base_url": "...", ...} (docs/c-api.md).
    constructor Create(const ConfigJson: PyunString; Charset: Cardinal = 0);
    destructor Destroy; override;
    // Sends a record; raises EPyunRejected when the platform refuses it. FilesJson '' or
    // {"enter_image_file": "C:\\photos\\1.jpg"}. Blocks: call it from a worker thread.
    function Push(const Endpoint, RecordJson: PyunString;
      const FilesJson: PyunString = ''): TPyunPushResult;
    function BuildRequest(const Endpoint, RecordJson: PyunString;
      const FilesJson: PyunString = ''): TPyunRequest;
    property Handle: PPyunClientHandle read FHandle;
    property Charset: Cardinal read FCharset;
  end;

  TPyunRequest = class
  private
    FHandle: PPyunRequestHandle;
    FCharset: Cardinal;
  public
    constructor CreateFromHandle(AHandle: PPyunRequestHandle; ACharset: Cardinal);
    destructor Destroy; override;
    // Info: {"url", "path", "content_type", "sign", "fields", ...}
    function Info: PyunString;
    function Body: PyunBytes;    { the exact bytes to POST }
    property Handle: PPyunRequestHandle read FHandle;
  end;

  { Called on the sender's own thread (never the UI thread). }
  TPyunEventProc = procedure(const EventJson: PyunString) of object;

  TPyunOutbox = class;

  TPyunSender = class
  private
    FHandle: PPyunSenderHandle;
    FOnEvent: TPyunEventProc;
    FCharset: Cardinal;
  public
    { Use TPyunOutbox.StartSender. }
    constructor CreateStarted(Outbox: TPyunOutbox; Client: TPyunClient; PollMs: Cardinal;
      OnEvent: TPyunEventProc; AfterSeq: Int64);
    { Stops the sender (finishes the record in flight; waits seconds at most). }
    destructor Destroy; override;
    procedure Stop;
    property Handle: PPyunSenderHandle read FHandle;
  end;

  TPyunOutbox = class
  private
    FHandle: PPyunOutboxHandle;
    FCharset: Cardinal;
  public
    { Flags: PYUN_OUTBOX_* added together (ALLOW_NETWORK_SHARE; ACCEPT_FRESH_START only when an
      operator decided it, after EPyunOutboxUnverified). }
    constructor Create(const Path: PyunString; CarryEnterFields: Boolean = False;
      Charset: Cardinal = 0; Flags: Integer = 0);
    { Stop every sender of this outbox before freeing it. }
    destructor Destroy; override;
    { Stores the record durably; returns its id. }
    function Enqueue(const Endpoint, RecordJson: PyunString;
      const FilesJson: PyunString = ''): Int64;
    function Drain(Client: TPyunClient): PyunString;
    function Counts: PyunString;
    function DeadLetters: PyunString;
    function RetryDead(Id: Int64 = -1): Int64;
    { The status of record Id, or 'null'. }
    function RecordStatus(Id: Int64): PyunString;
    function Find(const Key: PyunString): PyunString;
    function Head: PyunString;
    { Up to Limit events after AfterSeq, as a JSON array (poll it from a TTimer). }
    function Events(AfterSeq: Int64; Limit: Cardinal = 100): PyunString;
    { OnEvent may be nil (then poll Events). }
    function StartSender(Client: TPyunClient; PollMs: Cardinal = 1000;
      OnEvent: TPyunEventProc = nil; AfterSeq: Int64 = 0): TPyunSender;
    property Handle: PPyunOutboxHandle read FHandle;
    property Charset: Cardinal read FCharset;
  end;

  TPyunLogProc = procedure(Level: Cardinal; const Target, Message: PyunString) of object;

var
  { The code page of the AnsiStrings of a non-Unicode program (Delphi 7): 936 GBK. }
  PyunAnsiCharset: Cardinal = PYUN_CHARSET_GBK;

function PyunVersion: PyunString;
{ The calling thread's last error message ('' when the last call succeeded). }
function PyunLastError: PyunString;
{ Raises the EPyunError subclass of Code with the last error message, unless Code is OK. }
procedure PyunCheck(Code: TPyunResult);
function PyunErrorClass(Code: TPyunResult): EPyunClass;

function PyunSign(const FieldsJson, AppSecret: PyunString; Charset: Cardinal = 0): PyunString;
function PyunCanonicalString(const FieldsJson: PyunString; Charset: Cardinal = 0): PyunString;
{ Returns the rule (1 current, 2 older); raises EPyunSignatureInvalid when it does not hold. }
function PyunVerify(const Push, AppSecret: PyunString; Charset: Cardinal = 0): Integer;
{ True when the signature holds; False (no exception) when it does not. }
function PyunIsValidPush(const Push, AppSecret: PyunString; Charset: Cardinal = 0): Boolean;
function PyunSignPush(const FieldsJson, AppSecret, AppId: PyunString;
  Charset: Cardinal = 0): PyunString;
{ Endpoint '' reads RecordJson as flat fields. }
function PyunExplain(const Hint, Endpoint, RecordJson: PyunString;
  Charset: Cardinal = 0): PyunString;
// As PyunExplain, for a record pushed with photos: FilesJson '' or the object given to Push,
// {"leave_image_file": "C:\\photos\\a.jpg"}; each photo's MD5 becomes the *_hash field the
// platform signed.
function PyunExplainFiles(const Hint, Endpoint, RecordJson, FilesJson: PyunString;
  Charset: Cardinal = 0): PyunString;
{ ContentType '' sniffs; Body the bytes as received. }
function PyunParsePushRequest(const ContentType: PyunString; const Body: PyunBytes;
  Charset: Cardinal = 0): PyunString;
{ Returns the rule; PushJson receives the parsed push. Raises EPyunSignatureInvalid. }
function PyunVerifyPushRequest(const ContentType: PyunString; const Body: PyunBytes;
  const AppSecret: PyunString; out PushJson: PyunString; Charset: Cardinal = 0): Integer;
{ Path '' or MaxLevel 0 turns the file off. }
procedure PyunSetLogFile(const Path: PyunString; MaxLevel: Cardinal; MaxBytes: Int64);
{ Proc nil or MaxLevel 0 turns it off. Proc runs on any thread: keep it thread-safe. }
procedure PyunSetLogCallback(Proc: TPyunLogProc; MaxLevel: Cardinal);

// Reading the JSON pyun returns without a JSON parser (Delphi 7). Path: a field name ('hint',
// 'seqno', 'outcome'), names and array indexes joined by dots ('0.seqno': the first event's),
// or 'length' after an array. Strings come back without quotes, numbers and true/false as
// written, objects and arrays as JSON; '' when the field is absent or null.
function PyunJsonField(const Json, Path: PyunString; Charset: Cardinal = 0): PyunString;
{ As PyunJsonField; False (Value '') when the field is absent or null. }
function PyunJsonHasField(const Json, Path: PyunString; out Value: PyunString;
  Charset: Cardinal = 0): Boolean;
// A TDateTime on this computer's clock (local time, Now) as the epoch milliseconds the platform
// wants for enter_time / leave_time (UTC; the time zone is the one Windows is set to).
// Raises EPyunArgument for a time before 1973.
function PyunEpochMs(const LocalTime: TDateTime): Int64;

implementation

{ ---- strings ---- }

function CharsetOf(Charset: Cardinal): Cardinal;
begin
{$IFDEF UNICODE}
  Result := PYUN_CHARSET_UTF8;
{$ELSE}
  if Charset = 0 then Result := PyunAnsiCharset else Result := Charset;
{$ENDIF}
end;

{ The bytes the DLL gets for S. }
function ToC(const S: PyunString): PyunCStr;
begin
{$IFDEF UNICODE}
  Result := UTF8Encode(S); { a RawByteString: no code page conversion }
{$ELSE}
  Result := S;
{$ENDIF}
end;

{ NULL for '' (optional arguments: files_json, endpoint, content_type). }
function OptC(const S: PyunCStr): PAnsiChar;
begin
  if Length(S) = 0 then Result := nil else Result := PAnsiChar(S);
end;

function FromC(P: PAnsiChar): PyunString;
var
  Raw: PyunCStr;
begin
  if P = nil then
  begin
    Result := '';
    Exit;
  end;
  SetString(Raw, P, StrLen(P));
{$IFDEF UNICODE}
  Result := UTF8ToString(Raw);
{$ELSE}
  Result := Raw;
{$ENDIF}
end;

{ Takes a string pyun returned: converts it and frees it. }
function TakeC(P: PAnsiChar): PyunString;
begin
  try
    Result := FromC(P);
  finally
    pyun_string_free(P);
  end;
end;

function PyunVersion: PyunString;
begin
  Result := FromC(pyun_version);
end;

function PyunLastError: PyunString;
var
  N: TPyunSize;
  Buf: PyunCStr;
begin
  Result := '';
  N := pyun_last_error_message(nil, 0);
  if N = 0 then Exit;
  SetLength(Buf, N + 1);
  N := pyun_last_error_message(PAnsiChar(Buf), N + 1);
  SetLength(Buf, N);
{$IFDEF UNICODE}
  Result := UTF8ToString(Buf);
{$ELSE}
  Result := Buf;
{$ENDIF}
end;

{ ---- errors ---- }

constructor EPyunError.CreateCode(ACode: TPyunResult; const AMessage: PyunString);
begin
  if AMessage = '' then
    inherited Create('pyun error ' + IntToStr(ACode))
  else
    inherited Create(AMessage);
  FCode := ACode;
end;

function PyunErrorClass(Code: TPyunResult): EPyunClass;
begin
  case Code of
    PYUN_RESULT_NULL_ARGUMENT, PYUN_RESULT_INVALID_ARGUMENT: Result := EPyunArgument;
    PYUN_RESULT_INVALID_ENCODING: Result := EPyunEncoding;
    PYUN_RESULT_MALFORMED_JSON: Result := EPyunMalformedJson;
    PYUN_RESULT_VALIDATION: Result := EPyunValidation;
    PYUN_RESULT_FILE: Result := EPyunFile;
    PYUN_RESULT_CONFIG: Result := EPyunConfig;
    PYUN_RESULT_SIGNATURE_INVALID: Result := EPyunSignatureInvalid;
    PYUN_RESULT_TRANSPORT: Result := EPyunTransport;
    PYUN_RESULT_REJECTED: Result := EPyunRejected;
    PYUN_RESULT_STORE: Result := EPyunStore;
    PYUN_RESULT_RECORDS_LOST: Result := EPyunRecordsLost;
    PYUN_RESULT_OUTBOX_UNVERIFIED: Result := EPyunOutboxUnverified;
    PYUN_RESULT_NETWORK_SHARE: Result := EPyunNetworkShare;
    PYUN_RESULT_INVALID_HANDLE: Result := EPyunInvalidHandle;
    PYUN_RESULT_PANIC: Result := EPyunPanic;
  else
    Result := EPyunError;
  end;
end;

procedure PyunCheck(Code: TPyunResult);
begin
  if Code <> PYUN_RESULT_OK then
    raise PyunErrorClass(Code).CreateCode(Code, PyunLastError);
end;

{ ---- functions ---- }

function PyunJsonHasField(const Json, Path: PyunString; out Value: PyunString;
  Charset: Cardinal): Boolean;
var
  J, F: PyunCStr;
  P: PAnsiChar;
  Found: Integer;
begin
  J := ToC(Json);
  F := ToC(Path);
  P := nil;
  Found := 0;
  PyunCheck(pyun_json_field(PAnsiChar(J), PAnsiChar(F), CharsetOf(Charset), @Found, @P));
  Value := TakeC(P);
  Result := Found <> 0;
end;

function PyunJsonField(const Json, Path: PyunString; Charset: Cardinal): PyunString;
begin
  PyunJsonHasField(Json, Path, Result, Charset);
end;

function PyunEpochMs(const LocalTime: TDateTime): Int64;
var
  Y, Mo, D, H, Mi, S, Ms: Word;
begin
  DecodeDate(LocalTime, Y, Mo, D);
  DecodeTime(LocalTime, H, Mi, S, Ms);
  Result := 0;
  PyunCheck(pyun_epoch_ms_from_local(Y, Mo, D, H, Mi, S, Ms, @Result));
end;

function PyunSign(const FieldsJson, AppSecret: PyunString; Charset: Cardinal): PyunString;
var
  F, S: PyunCStr;
  P: PAnsiChar;
begin
  F := ToC(FieldsJson);
  S := ToC(AppSecret);
  P := nil;
  PyunCheck(pyun_sign(PAnsiChar(F), PAnsiChar(S), CharsetOf(Charset), @P));
  Result := TakeC(P);
end;

function PyunCanonicalString(const FieldsJson: PyunString; Charset: Cardinal): PyunString;
var
  F: PyunCStr;
  P: PAnsiChar;
begin
  F := ToC(FieldsJson);
  P := nil;
  PyunCheck(pyun_canonical_string(PAnsiChar(F), CharsetOf(Charset), @P));
  Result := TakeC(P);
end;

function PyunVerify(const Push, AppSecret: PyunString; Charset: Cardinal): Integer;
var
  F, S: PyunCStr;
begin
  F := ToC(Push);
  S := ToC(AppSecret);
  Result := 0;
  PyunCheck(pyun_verify(PAnsiChar(F), PAnsiChar(S), CharsetOf(Charset), @Result));
end;

function PyunIsValidPush(const Push, AppSecret: PyunString; Charset: Cardinal): Boolean;
var
  F, S: PyunCStr;
  Rule: Integer;
  Rc: TPyunResult;
begin
  F := ToC(Push);
  S := ToC(AppSecret);
  Rule := 0;
  Rc := pyun_verify(PAnsiChar(F), PAnsiChar(S), CharsetOf(Charset), @Rule);
  if Rc = PYUN_RESULT_SIGNATURE_INVALID then
    Result := False
  else
  begin
    PyunCheck(Rc);
    Result := True;
  end;
end;

function PyunSignPush(const FieldsJson, AppSecret, AppId: PyunString;
  Charset: Cardinal): PyunString;
var
  F, S, A: PyunCStr;
  P: PAnsiChar;
begin
  F := ToC(FieldsJson);
  S := ToC(AppSecret);
  A := ToC(AppId);
  P := nil;
  PyunCheck(pyun_sign_push(PAnsiChar(F), PAnsiChar(S), PAnsiChar(A), CharsetOf(Charset), @P));
  Result := TakeC(P);
end;

function PyunExplain(const Hint, Endpoint, RecordJson: PyunString;
  Charset: Cardinal): PyunString;
var
  H, E, R: PyunCStr;
  P: PAnsiChar;
begin
  H := ToC(Hint);
  E := ToC(Endpoint);
  R := ToC(RecordJson);
  P := nil;
  PyunCheck(pyun_explain(PAnsiChar(H), OptC(E), PAnsiChar(R), CharsetOf(Charset), @P));
  Result := TakeC(P);
end;

function PyunExplainFiles(const Hint, Endpoint, RecordJson, FilesJson: PyunString;
  Charset: Cardinal): PyunString;
var
  H, E, R, F: PyunCStr;
  P: PAnsiChar;
begin
  H := ToC(Hint);
  E := ToC(Endpoint);
  R := ToC(RecordJson);
  F := ToC(FilesJson);
  P := nil;
  PyunCheck(pyun_explain_files(PAnsiChar(H), OptC(E), PAnsiChar(R), OptC(F), CharsetOf(Charset),
    @P));
  Result := TakeC(P);
end;

function BodyPtr(const Body: PyunBytes): PByte;
begin
  if Length(Body) = 0 then Result := nil else Result := PByte(PAnsiChar(Body));
end;

function PyunParsePushRequest(const ContentType: PyunString; const Body: PyunBytes;
  Charset: Cardinal): PyunString;
var
  C: PyunCStr;
  P: PAnsiChar;
begin
  C := ToC(ContentType);
  P := nil;
  PyunCheck(pyun_parse_push_request(OptC(C), BodyPtr(Body), Length(Body),
    CharsetOf(Charset), @P));
  Result := TakeC(P);
end;

function PyunVerifyPushRequest(const ContentType: PyunString; const Body: PyunBytes;
  const AppSecret: PyunString; out PushJson: PyunString; Charset: Cardinal): Integer;
var
  C, S: PyunCStr;
  P: PAnsiChar;
begin
  C := ToC(ContentType);
  S := ToC(AppSecret);
  P := nil;
  Result := 0;
  PyunCheck(pyun_verify_push_request(OptC(C), BodyPtr(Body), Length(Body), PAnsiChar(S),
    CharsetOf(Charset), @Result, @P));
  PushJson := TakeC(P);
end;

procedure PyunSetLogFile(const Path: PyunString; MaxLevel: Cardinal; MaxBytes: Int64);
var
  P: PyunCStr;
begin
  P := ToC(Path);
  PyunCheck(pyun_log_set_file(OptC(P), MaxLevel, MaxBytes, CharsetOf(0)));
end;

var
  LogProc: TPyunLogProc;

procedure LogTrampoline(userdata: Pointer; level: Cardinal; target: PAnsiChar;
  message: PAnsiChar); cdecl;
begin
  try
    if Assigned(LogProc) then LogProc(level, FromC(target), FromC(message));
  except
    { an exception must never unwind into the DLL }
  end;
end;

procedure PyunSetLogCallback(Proc: TPyunLogProc; MaxLevel: Cardinal);
begin
  if not Assigned(Proc) or (MaxLevel = 0) then
  begin
    PyunCheck(pyun_log_set_callback(nil, nil, 0, CharsetOf(0)));
    LogProc := nil;
  end
  else
  begin
    LogProc := Proc;
    PyunCheck(pyun_log_set_callback(LogTrampoline, nil, MaxLevel, CharsetOf(0)));
  end;
end;

{ ---- TPyunClient ---- }

constructor TPyunClient.Create(const ConfigJson: PyunString; Charset: Cardinal);
var
  C: PyunCStr;
  H: Pointer;
begin
  inherited Create;
  FCharset := CharsetOf(Charset);
  C := ToC(ConfigJson);
  H := nil;
  PyunCheck(pyun_client_new(PAnsiChar(C), FCharset, @H));
  FHandle := H;
end;

destructor TPyunClient.Destroy;
begin
  if FHandle <> nil then pyun_client_free(FHandle);
  FHandle := nil;
  inherited Destroy;
end;

function TPyunClient.Push(const Endpoint, RecordJson, FilesJson: PyunString): TPyunPushResult;
var
  E, R, F: PyunCStr;
  P: PAnsiChar;
  Rc: TPyunResult;
  Outcome: TPyunOutcome;
  Err: EPyunRejected;
begin
  E := ToC(Endpoint);
  R := ToC(RecordJson);
  F := ToC(FilesJson);
  P := nil;
  Outcome := PYUN_OUTCOME_UNKNOWN;
  Rc := pyun_client_push(FHandle, PAnsiChar(E), PAnsiChar(R), OptC(F), @Outcome, @P);
  if Rc = PYUN_RESULT_REJECTED then
  begin
    Err := EPyunRejected.CreateCode(Rc, PyunLastError);
    Err.FOutcome := Outcome;
    Err.FResultJson := TakeC(P);
    raise Err;
  end;
  PyunCheck(Rc);
  Result.Outcome := Outcome;
  Result.Json := TakeC(P);
end;

function TPyunClient.BuildRequest(const Endpoint, RecordJson, FilesJson: PyunString): TPyunRequest;
var
  E, R, F: PyunCStr;
  H: Pointer;
begin
  E := ToC(Endpoint);
  R := ToC(RecordJson);
  F := ToC(FilesJson);
  H := nil;
  PyunCheck(pyun_client_build_request(FHandle, PAnsiChar(E), PAnsiChar(R), OptC(F), @H));
  Result := TPyunRequest.CreateFromHandle(H, FCharset);
end;

{ ---- TPyunRequest ---- }

constructor TPyunRequest.CreateFromHandle(AHandle: PPyunRequestHandle; ACharset: Cardinal);
begin
  inherited Create;
  FHandle := AHandle;
  FCharset := ACharset;
end;

destructor TPyunRequest.Destroy;
begin
  if FHandle <> nil then pyun_request_free(FHandle);
  FHandle := nil;
  inherited Destroy;
end;

function TPyunRequest.Info: PyunString;
var
  P: PAnsiChar;
begin
  P := nil;
  PyunCheck(pyun_request_info(FHandle, @P));
  Result := TakeC(P);
end;

function TPyunRequest.Body: PyunBytes;
var
  P: PByte;
  N: TPyunSize;
begin
  P := nil;
  N := 0;
  PyunCheck(pyun_request_body(FHandle, @P, @N));
  try
    SetLength(Result, N);
    if N > 0 then Move(P^, Result[1], N);
  finally
    pyun_bytes_free(P, N);
  end;
end;

{ ---- TPyunOutbox ---- }

constructor TPyunOutbox.Create(const Path: PyunString; CarryEnterFields: Boolean;
  Charset: Cardinal; Flags: Integer);
var
  C: PyunCStr;
  H: Pointer;
begin
  inherited Create;
  FCharset := CharsetOf(Charset);
  C := ToC(Path);
  H := nil;
  PyunCheck(pyun_outbox_open(PAnsiChar(C), Ord(CarryEnterFields) or Flags, FCharset, @H));
  FHandle := H;
end;

destructor TPyunOutbox.Destroy;
begin
  if FHandle <> nil then pyun_outbox_free(FHandle);
  FHandle := nil;
  inherited Destroy;
end;

function TPyunOutbox.Enqueue(const Endpoint, RecordJson, FilesJson: PyunString): Int64;
var
  E, R, F: PyunCStr;
begin
  E := ToC(Endpoint);
  R := ToC(RecordJson);
  F := ToC(FilesJson);
  Result := 0;
  PyunCheck(pyun_outbox_enqueue(FHandle, PAnsiChar(E), PAnsiChar(R), OptC(F), @Result));
end;

function TPyunOutbox.Drain(Client: TPyunClient): PyunString;
var
  P: PAnsiChar;
begin
  P := nil;
  PyunCheck(pyun_outbox_drain(FHandle, Client.Handle, @P));
  Result := TakeC(P);
end;

function TPyunOutbox.Counts: PyunString;
var
  P: PAnsiChar;
begin
  P := nil;
  PyunCheck(pyun_outbox_counts(FHandle, @P));
  Result := TakeC(P);
end;

function TPyunOutbox.DeadLetters: PyunString;
var
  P: PAnsiChar;
begin
  P := nil;
  PyunCheck(pyun_outbox_dead_letters(FHandle, @P));
  Result := TakeC(P);
end;

function TPyunOutbox.RetryDead(Id: Int64): Int64;
begin
  Result := 0;
  PyunCheck(pyun_outbox_retry_dead(FHandle, Id, @Result));
end;

function TPyunOutbox.RecordStatus(Id: Int64): PyunString;
var
  P: PAnsiChar;
begin
  P := nil;
  PyunCheck(pyun_outbox_record(FHandle, Id, @P));
  Result := TakeC(P);
end;

function TPyunOutbox.Find(const Key: PyunString): PyunString;
var
  K: PyunCStr;
  P: PAnsiChar;
begin
  K := ToC(Key);
  P := nil;
  PyunCheck(pyun_outbox_find(FHandle, PAnsiChar(K), @P));
  Result := TakeC(P);
end;

function TPyunOutbox.Head: PyunString;
var
  P: PAnsiChar;
begin
  P := nil;
  PyunCheck(pyun_outbox_head(FHandle, @P));
  Result := TakeC(P);
end;

function TPyunOutbox.Events(AfterSeq: Int64; Limit: Cardinal): PyunString;
var
  P: PAnsiChar;
begin
  P := nil;
  PyunCheck(pyun_outbox_events(FHandle, AfterSeq, Limit, @P));
  Result := TakeC(P);
end;

function TPyunOutbox.StartSender(Client: TPyunClient; PollMs: Cardinal;
  OnEvent: TPyunEventProc; AfterSeq: Int64): TPyunSender;
begin
  Result := TPyunSender.CreateStarted(Self, Client, PollMs, OnEvent, AfterSeq);
end;

{ ---- TPyunSender ---- }

procedure EventTrampoline(userdata: Pointer; event_json: PAnsiChar); cdecl;
var
  S: TPyunSender;
begin
  S := TPyunSender(userdata);
  try
    if Assigned(S.FOnEvent) then S.FOnEvent(FromC(event_json));
  except
    { an exception must never unwind into the DLL }
  end;
end;

constructor TPyunSender.CreateStarted(Outbox: TPyunOutbox; Client: TPyunClient;
  PollMs: Cardinal; OnEvent: TPyunEventProc; AfterSeq: Int64);
var
  H: Pointer;
  Cb: TPyunEventCallback;
begin
  inherited Create;
  FOnEvent := OnEvent;
  FCharset := Outbox.Charset;
  H := nil;
  if Assigned(OnEvent) then Cb := EventTrampoline else Cb := nil;
  PyunCheck(pyun_outbox_start_sender(Outbox.Handle, Client.Handle, PollMs, Cb, Self,
    AfterSeq, @H));
  FHandle := H;
end;

procedure TPyunSender.Stop;
begin
  if FHandle <> nil then pyun_sender_stop(FHandle);
  FHandle := nil;
end;

destructor TPyunSender.Destroy;
begin
  Stop;
  inherited Destroy;
end;

end.
