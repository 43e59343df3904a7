(* PyunLotSample.dpr: what a parking lot's program does with Pyun.pas (the release zip's
   delphi\Pyun.pas), as a console program that Delphi 7 and later, and Free Pascal, build:
   pushes an enter with a photo on a worker thread, keeps another in the outbox for the
   background sender, and shows the outcomes on the main thread, which never waits for the
   network (in a VCL program: a TTimer where this loops, Memo1.Lines.Add where it writes).

     PyunLotSample BASE_URL DATA_DIR WORK_DIR

   BASE_URL: the platform or the sandbox (x86\pyun.exe sandbox: http://127.0.0.1:8040, secret
   123); DATA_DIR: where enter.gif is (the zip's examples\data); WORK_DIR: where the outbox
   file goes. The secret comes from PYUN_APP_SECRET (default 123). Exit code 0 when both
   records were accepted within 60 seconds.
   Delphi: dcc32 -U..\..\delphi PyunLotSample.dpr; pyun.dll (x86\ for a 32-bit program) beside
   the .exe. Free Pascal: fpc -Fu..\..\delphi PyunLotSample.dpr (-dPYUN_UNICODE: UnicodeString). *)
program PyunLotSample;

{$IFDEF FPC}
  { Free Pascal: AnsiString in GBK as Delphi 7, or -dPYUN_UNICODE: UnicodeString as Delphi 2009+ }
  {$IFDEF PYUN_UNICODE}{$MODE DELPHIUNICODE}{$ELSE}{$MODE DELPHI}{$ENDIF}
  {$H+}
{$ENDIF}
{$IFDEF MSWINDOWS}{$APPTYPE CONSOLE}{$ENDIF}

uses
{$IFDEF FPC}{$IFDEF UNIX}
  cthreads, { pyun calls back on its own threads }
{$ENDIF}{$ENDIF}
  SysUtils, Classes, SyncObjs, Pyun;

const
  PARK_UUID = '49f0cc52-e8c7-41e3-b54d-af666b8cc11a';
{$IFDEF UNICODE}
  PLATE = #$7CA4'B12345';            { UnicodeString: sent as UTF-8 }
{$ELSE}
  PLATE = #$D4#$C1'B12345';          { AnsiString in GBK (code page 936), as Delphi 7 holds it }
{$ENDIF}

type
  { Pushes one record on its own thread: TPyunClient.Push waits for the platform. }
  TPushThread = class(TThread)
  private
    FClient: TPyunClient;
    FRecordJson, FFilesJson: PyunString;
  public
    Outcome: PyunString;
    Accepted: Boolean;
    Done: Boolean;      { set last (Delphi 7's TThread has no Finished) }
    constructor Create(Client: TPyunClient; const RecordJson, FilesJson: PyunString);
    procedure Execute; override;
  end;

  { Receives the sender's events on the sender's thread and keeps them for the main thread. }
  TLot = class
  private
    FLock: TCriticalSection;
    FEvents: TStringList;
  public
    constructor Create;
    destructor Destroy; override;
    procedure OnEvent(const EventJson: PyunString);   { the sender's thread }
    function TakeEvents: TStringList;                   { the main thread }
  end;

constructor TPushThread.Create(Client: TPyunClient; const RecordJson, FilesJson: PyunString);
begin
  FClient := Client;
  FRecordJson := RecordJson;
  FFilesJson := FilesJson;
  inherited Create(False);
end;

procedure TPushThread.Execute;
var
  R: TPyunPushResult;
begin
  try
    R := FClient.Push('enter', FRecordJson, FFilesJson);
    Accepted := R.Outcome = PYUN_OUTCOME_ACCEPTED;
    Outcome := R.Json;
  except
    on E: EPyunError do
      Outcome := 'failed (' + IntToStr(E.Code) + '): ' + E.Message;
  end;
  Done := True;
end;

constructor TLot.Create;
begin
  FLock := TCriticalSection.Create;
  FEvents := TStringList.Create;
end;

destructor TLot.Destroy;
begin
  FEvents.Free;
  FLock.Free;
  inherited;
end;

procedure TLot.OnEvent(const EventJson: PyunString);
begin
  FLock.Enter;
  try
    FEvents.Add(EventJson);
  finally
    FLock.Leave;
  end;
end;

function TLot.TakeEvents: TStringList;
begin
  Result := TStringList.Create;
  FLock.Enter;
  try
    Result.Assign(FEvents);
    FEvents.Clear;
  finally
    FLock.Leave;
  end;
end;

function JsonString(const S: PyunString): PyunString;
begin
  Result := '"' + StringReplace(StringReplace(S, '\', '\\', [rfReplaceAll]), '"', '\"', [rfReplaceAll]) + '"';
end;

function EnterRecord(const Serial: PyunString): PyunString;
begin
  Result := '{"park_uuid":"' + PARK_UUID + '","parking_serial":' + JsonString(Serial) +
    ',"plate":"' + PLATE + '","plate_color":1,"enter_time":"' +
    IntToStr(Round((Now - EncodeDate(1970, 1, 1)) * 86400000.0) - 8 * 3600000) + '"' +
    ',"car_type":1,"car_desc":"temporary","charge_type":"1","vehicle_type":1' +
    ',"total_parking_space":"100","remain_parking_space":"57"}';
end;

var
  Secret, Photo, Files, Stamp, QueuedKey: PyunString;
  Client: TPyunClient;
  Outbox: TPyunOutbox;
  Sender: TPyunSender;
  Lot: TLot;
  Pusher: TPushThread;
  Events: TStringList;
  I: Integer;
  Deadline: TDateTime;
  Pushed, Delivered: Boolean;
begin
  if ParamCount <> 3 then
  begin
    Writeln('usage: PyunLotSample BASE_URL DATA_DIR WORK_DIR');
    Halt(2);
  end;
  Secret := GetEnvironmentVariable('PYUN_APP_SECRET');
  if Secret = '' then Secret := '123';
  Photo := IncludeTrailingPathDelimiter(ParamStr(2)) + 'enter.gif';
  Files := '{"enter_image_file":' + JsonString(Photo) + '}';
  Stamp := FormatDateTime('yyyymmddhhnnss', Now);
  QueuedKey := 'DP-' + Stamp + '-Q';
  Writeln('pyun ', PyunVersion);
  Lot := TLot.Create;
  Client := TPyunClient.Create('{"app_secret":' + JsonString(Secret) + ',"base_url":' + JsonString(ParamStr(1)) + '}');
  Outbox := TPyunOutbox.Create(IncludeTrailingPathDelimiter(ParamStr(3)) + 'lot-sample-' + Stamp + '.db');
  Sender := Outbox.StartSender(Client, 1000, Lot.OnEvent, 0);
  Pusher := TPushThread.Create(Client, EnterRecord('DP-' + Stamp + '-P'), Files);
  try
    { keep one in the outbox: returns once it is on disk }
    Writeln('enqueued ', QueuedKey, ' as record ', Outbox.Enqueue('enter', EnterRecord(QueuedKey), Files));
    Pushed := False;
    Delivered := False;
    Deadline := Now + 60 / 86400;
    { the "UI" loop: never blocks on the network }
    while not (Pushed and Delivered) and (Now < Deadline) do
    begin
      if not Pushed and Pusher.Done then
      begin
        Writeln('push: ', Pusher.Outcome);
        Pushed := True;
      end;
      Events := Lot.TakeEvents;
      for I := 0 to Events.Count - 1 do
      begin
        Writeln('event: ', Events[I]);
        if (Pos('"kind":"accepted"', Events[I]) > 0) and (Pos(QueuedKey, Events[I]) > 0) then
          Delivered := True;
      end;
      Events.Free;
      Sleep(100);
    end;
    Writeln('outbox: ', Outbox.Counts);
    if Pushed and Delivered and Pusher.Accepted then
      Writeln('both enters accepted')
    else
    begin
      Writeln('not both accepted within 60 s');
      ExitCode := 1;
    end;
  finally
    Pusher.WaitFor;
    Pusher.Free;
    Sender.Free;   { stop the sender before the outbox }
    Outbox.Free;
    Client.Free;
    Lot.Free;
  end;
end.
