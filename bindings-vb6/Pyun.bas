Attribute VB_Name = "Pyun"
' Pyun.bas: VB6 declarations for pyun_vb6.dll (the stdcall layer over pyun.dll) and a few
' helpers. Put pyun.dll and pyun_vb6.dll (both from the release zip's x86\ folder) beside
' your EXE (or, in the IDE, beside VB6.EXE or on the PATH). See docs/vb6.md.
'
' Rules: every function returns a pyun result code (0 = OK; the PYUN_* constants below);
' strings go in as ANSI with the charset you pass (PYUN_CHARSET default: 936, GBK, the code
' page VB6 converts String arguments to on Chinese Windows); strings come back through
' ByRef String; handles are Long; 64-bit ids and counts are Double (exact below 2^53).
' Call everything from the one UI thread. There are no callbacks: poll pyun_vb6_outbox_events
' from a Timer, and send logs to a file with pyun_vb6_log_set_file.
Option Explicit

Public Const PYUN_CHARSET_UTF8 As Long = 65001
Public Const PYUN_CHARSET_GBK As Long = 936
Public Const PYUN_CHARSET_GB18030 As Long = 54936
' The charset the helpers below pass. Change it for a program that converts itself.
Public PYUN_CHARSET As Long

Public Const PYUN_RESULT_OK As Long = 0
Public Const PYUN_RESULT_NULL_ARGUMENT As Long = 1
Public Const PYUN_RESULT_INVALID_ARGUMENT As Long = 2
Public Const PYUN_RESULT_INVALID_ENCODING As Long = 3
Public Const PYUN_RESULT_MALFORMED_JSON As Long = 4
Public Const PYUN_RESULT_VALIDATION As Long = 5
Public Const PYUN_RESULT_FILE As Long = 6
Public Const PYUN_RESULT_CONFIG As Long = 7
Public Const PYUN_RESULT_SIGNATURE_INVALID As Long = 8
Public Const PYUN_RESULT_TRANSPORT As Long = 9
Public Const PYUN_RESULT_REJECTED As Long = 10
Public Const PYUN_RESULT_STORE As Long = 11
Public Const PYUN_RESULT_RECORDS_LOST As Long = 12
Public Const PYUN_RESULT_INVALID_HANDLE As Long = 13
Public Const PYUN_RESULT_OUTBOX_UNVERIFIED As Long = 14
Public Const PYUN_RESULT_NETWORK_SHARE As Long = 15
Public Const PYUN_RESULT_PANIC As Long = 99

Public Const PYUN_OUTCOME_ACCEPTED As Long = 0
Public Const PYUN_OUTCOME_IGNORED As Long = 1
Public Const PYUN_OUTCOME_PARAMETER_ERROR As Long = 2
Public Const PYUN_OUTCOME_SIGNATURE_REJECTED As Long = 3
Public Const PYUN_OUTCOME_BLOCKED As Long = 4
Public Const PYUN_OUTCOME_SERVER_ERROR As Long = 5
Public Const PYUN_OUTCOME_UNKNOWN As Long = 6
Public Const PYUN_OUTCOME_RATE_LIMITED As Long = 7
Public Const PYUN_OUTCOME_NOT_PLATFORM As Long = 8

' ---- strings, errors ----
Public Declare Function pyun_vb6_version Lib "pyun_vb6.dll" (ByRef version As String) As Long
Public Declare Function pyun_vb6_last_error_message Lib "pyun_vb6.dll" (ByRef message As String) As Long

' ---- signing, verification ----
Public Declare Function pyun_vb6_sign Lib "pyun_vb6.dll" (ByVal fieldsJson As String, _
    ByVal appSecret As String, ByVal charset As Long, ByRef sign As String) As Long
Public Declare Function pyun_vb6_canonical_string Lib "pyun_vb6.dll" (ByVal fieldsJson As String, _
    ByVal charset As Long, ByRef canonical As String) As Long
Public Declare Function pyun_vb6_verify Lib "pyun_vb6.dll" (ByVal push As String, _
    ByVal appSecret As String, ByVal charset As Long, ByRef rule As Long) As Long
Public Declare Function pyun_vb6_sign_push Lib "pyun_vb6.dll" (ByVal fieldsJson As String, _
    ByVal appSecret As String, ByVal appId As String, ByVal charset As Long, _
    ByRef signedJson As String) As Long
' endpoint: "enter", "leave", "release", "update", or vbNullString for flat fields
Public Declare Function pyun_vb6_explain Lib "pyun_vb6.dll" (ByVal hint As String, _
    ByVal endpoint As String, ByVal recordJson As String, ByVal charset As Long, _
    ByRef resultJson As String) As Long
' the same with the photos the push sent ({"leave_image_file": "C:\..."}), so their hashes count
Public Declare Function pyun_vb6_explain_files Lib "pyun_vb6.dll" (ByVal hint As String, _
    ByVal endpoint As String, ByVal recordJson As String, ByVal filesJson As String, _
    ByVal charset As Long, ByRef resultJson As String) As Long

' ---- received pushes: pass body(0) of a Byte array and its length ----
Public Declare Function pyun_vb6_parse_push_request Lib "pyun_vb6.dll" (ByVal contentType As String, _
    ByRef body As Byte, ByVal bodyLen As Long, ByVal charset As Long, ByRef pushJson As String) As Long
Public Declare Function pyun_vb6_verify_push_request Lib "pyun_vb6.dll" (ByVal contentType As String, _
    ByRef body As Byte, ByVal bodyLen As Long, ByVal appSecret As String, ByVal charset As Long, _
    ByRef rule As Long, ByRef pushJson As String) As Long

' ---- client ----
Public Declare Function pyun_vb6_client_new Lib "pyun_vb6.dll" (ByVal configJson As String, _
    ByVal charset As Long, ByRef client As Long) As Long
Public Declare Sub pyun_vb6_client_free Lib "pyun_vb6.dll" (ByVal client As Long)
' filesJson: vbNullString, or {"enter_image_file":"C:\\photos\\1.jpg"}
Public Declare Function pyun_vb6_client_push Lib "pyun_vb6.dll" (ByVal client As Long, _
    ByVal endpoint As String, ByVal recordJson As String, ByVal filesJson As String, _
    ByRef outcome As Long, ByRef resultJson As String) As Long
Public Declare Function pyun_vb6_client_build_request Lib "pyun_vb6.dll" (ByVal client As Long, _
    ByVal endpoint As String, ByVal recordJson As String, ByVal filesJson As String, _
    ByRef request As Long) As Long
Public Declare Function pyun_vb6_request_info Lib "pyun_vb6.dll" (ByVal request As Long, _
    ByRef infoJson As String) As Long
Public Declare Function pyun_vb6_request_body_len Lib "pyun_vb6.dll" (ByVal request As Long, _
    ByRef length As Long) As Long
Public Declare Function pyun_vb6_request_body Lib "pyun_vb6.dll" (ByVal request As Long, _
    ByRef buf As Byte, ByVal bufLen As Long, ByRef length As Long) As Long
Public Declare Sub pyun_vb6_request_free Lib "pyun_vb6.dll" (ByVal request As Long)

' ---- logs: a file sink (maxLevel 1 error ... 5 trace; 0 or vbNullString turns it off) ----
Public Declare Function pyun_vb6_log_set_file Lib "pyun_vb6.dll" (ByVal path As String, _
    ByVal maxLevel As Long, ByVal maxBytes As Double, ByVal charset As Long) As Long

' ---- outbox ----
' flags of pyun_vb6_outbox_open, added together (0: none); ACCEPT_FRESH_START only when an
' operator decided it, after PYUN_RESULT_OUTBOX_UNVERIFIED
Public Const PYUN_OUTBOX_CARRY_ENTER_FIELDS As Long = 1
Public Const PYUN_OUTBOX_ALLOW_NETWORK_SHARE As Long = 2
Public Const PYUN_OUTBOX_ACCEPT_FRESH_START As Long = 4
Public Declare Function pyun_vb6_outbox_open Lib "pyun_vb6.dll" (ByVal path As String, _
    ByVal flags As Long, ByVal charset As Long, ByRef outbox As Long) As Long
Public Declare Sub pyun_vb6_outbox_free Lib "pyun_vb6.dll" (ByVal outbox As Long)
Public Declare Function pyun_vb6_outbox_enqueue Lib "pyun_vb6.dll" (ByVal outbox As Long, _
    ByVal endpoint As String, ByVal recordJson As String, ByVal filesJson As String, _
    ByRef id As Double) As Long
Public Declare Function pyun_vb6_outbox_drain Lib "pyun_vb6.dll" (ByVal outbox As Long, _
    ByVal client As Long, ByRef reportJson As String) As Long
Public Declare Function pyun_vb6_outbox_counts Lib "pyun_vb6.dll" (ByVal outbox As Long, _
    ByRef countsJson As String) As Long
Public Declare Function pyun_vb6_outbox_dead_letters Lib "pyun_vb6.dll" (ByVal outbox As Long, _
    ByRef deadJson As String) As Long
' id < 0: all dead letters
Public Declare Function pyun_vb6_outbox_retry_dead Lib "pyun_vb6.dll" (ByVal outbox As Long, _
    ByVal id As Double, ByRef count As Double) As Long
Public Declare Function pyun_vb6_outbox_record Lib "pyun_vb6.dll" (ByVal outbox As Long, _
    ByVal id As Double, ByRef recordJson As String) As Long
Public Declare Function pyun_vb6_outbox_find Lib "pyun_vb6.dll" (ByVal outbox As Long, _
    ByVal key As String, ByRef recordsJson As String) As Long
Public Declare Function pyun_vb6_outbox_head Lib "pyun_vb6.dll" (ByVal outbox As Long, _
    ByRef recordJson As String) As Long
' Call from a Timer: events after afterSeq (keep the last "seq" you handled), at most limit
Public Declare Function pyun_vb6_outbox_events Lib "pyun_vb6.dll" (ByVal outbox As Long, _
    ByVal afterSeq As Double, ByVal limit As Long, ByRef eventsJson As String) As Long
' The background sender (no callback: poll pyun_vb6_outbox_events). Stop it before the
' program ends (Form_Unload), never from a Terminate of a DLL.
Public Declare Function pyun_vb6_outbox_start_sender Lib "pyun_vb6.dll" (ByVal outbox As Long, _
    ByVal client As Long, ByVal pollMs As Long, ByRef sender As Long) As Long
Public Declare Sub pyun_vb6_sender_stop Lib "pyun_vb6.dll" (ByVal sender As Long)

' ---- helpers ----

' The charset the helpers pass: PYUN_CHARSET when set, else GBK (936).
Public Function PyunCharset() As Long
    If PYUN_CHARSET = 0 Then PyunCharset = PYUN_CHARSET_GBK Else PyunCharset = PYUN_CHARSET
End Function

' The message of the last failed pyun call on this thread ("" after a success).
Public Function PyunLastError() As String
    Dim msg As String
    pyun_vb6_last_error_message msg
    PyunLastError = msg
End Function

' Raises a VB error (vbObjectError + the result code, the last error as its text) unless rc is
' PYUN_RESULT_OK. Use: PyunCheck pyun_vb6_client_new(cfg, PyunCharset(), client)
Public Sub PyunCheck(ByVal rc As Long)
    If rc <> PYUN_RESULT_OK Then
        Err.Raise vbObjectError + 512 + rc, "pyun", "pyun error " & rc & ": " & PyunLastError()
    End If
End Sub

' A JSON string literal, quotes included.
Public Function PyunJsonString(ByVal s As String) As String
    Dim i As Long, c As String, code As Long, out As String
    out = """"
    For i = 1 To Len(s)
        c = Mid$(s, i, 1)
        code = AscW(c) And &HFFFF&
        Select Case code
            Case 34: out = out & "\"""
            Case 92: out = out & "\\"
            Case 8: out = out & "\b"
            Case 9: out = out & "\t"
            Case 10: out = out & "\n"
            Case 12: out = out & "\f"
            Case 13: out = out & "\r"
            Case Is < 32: out = out & "\u" & Right$("000" & Hex$(code), 4)
            Case Else: out = out & c
        End Select
    Next
    PyunJsonString = out & """"
End Function

' One value as JSON: strings quoted, numbers as numbers, Empty/Null as null.
Public Function PyunJsonValue(ByVal v As Variant) As String
    Select Case VarType(v)
        Case vbEmpty, vbNull: PyunJsonValue = "null"
        Case vbBoolean: If v Then PyunJsonValue = "true" Else PyunJsonValue = "false"
        Case vbInteger, vbLong, vbByte: PyunJsonValue = CStr(v)
        Case vbSingle, vbDouble, vbCurrency, vbDecimal
            PyunJsonValue = Replace(Trim$(Str$(v)), ",", ".")
            If Left$(PyunJsonValue, 1) = "." Then PyunJsonValue = "0" & PyunJsonValue
            If Left$(PyunJsonValue, 2) = "-." Then PyunJsonValue = "-0" & Mid$(PyunJsonValue, 2)
        Case vbDate: PyunJsonValue = PyunJsonString(Format$(v, "yyyy-mm-dd hh:nn:ss"))
        Case Else: PyunJsonValue = PyunJsonString(CStr(v))
    End Select
End Function

' A record as the JSON object pyun wants, from a Scripting.Dictionary (keys = the platform's
' field names) or from a Collection of Array(name, value) pairs (a Collection cannot list its
' keys). Example:
'   Dim r As New Collection
'   r.Add Array("plate", txtPlate.Text): r.Add Array("parking_serial", "P-1")
'   json = PyunRecordJson(r)
Public Function PyunRecordJson(ByVal record As Object) As String
    Dim out As String, k As Variant, pair As Variant, first As Boolean
    out = "{": first = True
    If TypeName(record) = "Dictionary" Then
        For Each k In record.Keys
            If Not first Then out = out & ","
            out = out & PyunJsonString(CStr(k)) & ":" & PyunJsonValue(record.Item(k))
            first = False
        Next
    Else
        For Each pair In record
            If Not first Then out = out & ","
            out = out & PyunJsonString(CStr(pair(0))) & ":" & PyunJsonValue(pair(1))
            first = False
        Next
    End If
    PyunRecordJson = out & "}"
End Function

' The pyun version ("0.1.0"): a quick check that both DLLs load.
Public Function PyunVersion() As String
    Dim v As String
    PyunCheck pyun_vb6_version(v)
    PyunVersion = v
End Function
