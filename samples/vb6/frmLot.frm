VERSION 5.00
Begin VB.Form frmLot
   Caption         =   "pyun lot sample"
   ClientHeight    =   4800
   ClientLeft      =   60
   ClientTop       =   345
   ClientWidth     =   7200
   LinkTopic       =   "Form1"
   ScaleHeight     =   4800
   ScaleWidth      =   7200
   StartUpPosition =   3  'Windows Default
   Begin VB.Timer tmrEvents
      Interval        =   1000
      Left            =   6600
      Top             =   120
   End
   Begin VB.ListBox lstOutcomes
      Height          =   3960
      Left            =   120
      TabIndex        =   2
      Top             =   720
      Width           =   6960
   End
   Begin VB.CommandButton cmdEnter
      Caption         =   "Car enters"
      Height          =   375
      Left            =   2400
      TabIndex        =   1
      Top             =   120
      Width           =   1695
   End
   Begin VB.TextBox txtPlate
      Height          =   375
      Left            =   120
      TabIndex        =   0
      Top             =   120
      Width           =   2175
   End
End
Attribute VB_Name = "frmLot"
Attribute VB_GlobalNameSpace = False
Attribute VB_Creatable = False
Attribute VB_PredeclaredId = True
Attribute VB_Exposed = False
' The lot's window: a car enters -> its record and photo go into the outbox (on disk at once);
' the background sender delivers them on its own thread; a Timer polls the delivery events and
' shows them. Nothing here waits for the network: every call below returns at once, on the UI
' thread (pyun_vb6_client_push and pyun_vb6_outbox_drain would block it: not used here).
' Needs pyun.dll and pyun_vb6.dll (the release zip's x86\) beside the .exe, or, in the IDE,
' in the project folder with the IDE started from there (docs\vb6.md).
Option Explicit

' The lot's settings: in a real program from its configuration. The sandbox (x86\pyun.exe
' sandbox) answers at this address with the secret 123; in production https://api.4pyun.com
' and the secret the platform gave you.
Private Const BASE_URL As String = "http://127.0.0.1:8040"
Private Const APP_SECRET As String = "123"
Private Const PARK_UUID As String = "49f0cc52-e8c7-41e3-b54d-af666b8cc11a"

Private client As Long, outbox As Long, sender As Long
Private lastSeq As Double   ' the last delivery event handled: keep it in your own database
Private cars As Long

Private Sub Form_Load()
    PyunCheck pyun_vb6_client_new("{""app_secret"":""" & APP_SECRET & """,""base_url"":""" & BASE_URL & """}", PyunCharset(), client)
    PyunCheck pyun_vb6_outbox_open(App.Path & "\pyun-outbox.db", 0, PyunCharset(), outbox)
    PyunCheck pyun_vb6_outbox_start_sender(outbox, client, 1000, sender)
    lstOutcomes.AddItem "pyun " & PyunVersion() & ", outbox " & App.Path & "\pyun-outbox.db"
End Sub

' A car enters: its record, with the camera's photo, into the outbox.
Private Sub cmdEnter_Click()
    Dim rec As Object, serial As String, enterTime As String, files As String, id As Double
    cars = cars + 1
    serial = "VB6-" & Format$(Now, "yyyymmddhhnnss") & "-" & cars
    enterTime = UnixMs()
    Set rec = CreateObject("Scripting.Dictionary")
    rec("park_uuid") = PARK_UUID: rec("parking_serial") = serial
    rec("plate") = txtPlate.Text: rec("plate_color") = 1
    rec("enter_time") = enterTime
    rec("car_type") = 1: rec("car_desc") = "temporary"
    rec("charge_type") = "1": rec("vehicle_type") = 1
    rec("total_parking_space") = "100": rec("remain_parking_space") = "57"
    ' the photo of the car: here the zip's sample photo
    files = "{""enter_image_file"":" & PyunJsonString(App.Path & "\..\..\examples\data\enter.gif") & "}"
    If pyun_vb6_outbox_enqueue(outbox, "enter", PyunRecordJson(rec), files, id) = PYUN_RESULT_OK Then
        lstOutcomes.AddItem serial & ": kept in the outbox as record " & id
    Else
        lstOutcomes.AddItem serial & ": not kept: " & PyunLastError()
    End If
End Sub

' Every second: the delivery events after the last one shown (accepted, dead, ...).
Private Sub tmrEvents_Timer()
    Dim json As String, parts() As String, ev As String, i As Long
    If pyun_vb6_outbox_events(outbox, lastSeq, 100, json) <> PYUN_RESULT_OK Then
        lstOutcomes.AddItem "events: " & PyunLastError()
        Exit Sub
    End If
    ' json: [{"seq":7,"kind":"accepted","record_id":3,"endpoint":"enter","key":"VB6-...",...}]
    parts = Split(json, "{""seq"":")
    For i = 1 To UBound(parts)
        ev = "{""seq"":" & parts(i)
        lastSeq = Val(JsonField(ev, "seq"))
        lstOutcomes.AddItem "event " & JsonField(ev, "seq") & ": " & JsonField(ev, "kind") & " " _
            & JsonField(ev, "endpoint") & " " & JsonField(ev, "key") & " " & JsonField(ev, "seqno") _
            & JsonField(ev, "reason")
        lstOutcomes.ListIndex = lstOutcomes.ListCount - 1
    Next
End Sub

Private Sub Form_Unload(Cancel As Integer)
    tmrEvents.Enabled = False
    ' stops the sender (it finishes the record in flight), then closes the rest
    If sender <> 0 Then pyun_vb6_sender_stop sender
    If outbox <> 0 Then pyun_vb6_outbox_free outbox
    If client <> 0 Then pyun_vb6_client_free client
End Sub

' Milliseconds since 1970-01-01 UTC, as the platform's *_time fields want them (China: UTC+8).
Private Function UnixMs() As String
    UnixMs = Format$((DateDiff("s", #1/1/1970#, Now) - 8# * 3600#) * 1000#, "0")
End Function

' One field of a flat JSON object (a string's escapes are not decoded: enough for these events).
Private Function JsonField(ByVal obj As String, ByVal name As String) As String
    Dim p As Long, q As Long
    p = InStr(obj, """" & name & """:")
    If p = 0 Then Exit Function
    p = p + Len(name) + 3
    If Mid$(obj, p, 1) = """" Then
        q = InStr(p + 1, obj, """")
        If q > p Then JsonField = Mid$(obj, p + 1, q - p - 1)
    Else
        q = p
        Do While q <= Len(obj)
            If InStr(",}]", Mid$(obj, q, 1)) > 0 Then Exit Do
            q = q + 1
        Loop
        JsonField = Mid$(obj, p, q - p)
        If JsonField = "null" Then JsonField = ""
    End If
End Function
