Attribute VB_Name = "BangDieuKhien"
' Buttons of the "Bang dieu khien" sheet of a ccpkh-excel master workbook.
' Each button runs one Sub below; each Sub runs one entry point of ccpkh_excel.macros
' through xlwings' RunPython, which does the work in Python on this open workbook.
' Every Sub has an error handler; before the first Python call of a session, SanSang checks
' that the workbook is saved and writable, that Python is found, that it has ccpkh-excel and
' xlwings, and that its xlwings is the version of the xlwings module in this workbook.
' Sheets are named by name, never by position.
' Text shown to the clerk is written in U("..."): the build stores its Vietnamese letters
' as \uXXXX escapes (a VBA project keeps its source in a Windows code page) and U decodes them;
' it is shown with WScript.Shell's Popup, which shows Unicode (MsgBox does not).
Option Explicit

Private Const PY As String = "import ccpkh_excel.macros as m; m."
Private pythonOk As Boolean

Public Sub KiemTraDanhMuc()
    On Error GoTo Loi
    If SanSang() Then Xong RunPython(PY & "check()")
    Exit Sub
Loi:
    BaoLoi U("Kiểm tra danh mục")
End Sub

Public Sub NhapTuWord()
    Dim chosen As Variant
    On Error GoTo Loi
    If Not SanSang() Then Exit Sub
    chosen = Application.GetOpenFilename(U("Văn bản kế hoạch (*.docx;*.xlsx),*.docx;*.xlsx"), , _
        U("Chọn văn bản kế hoạch có bảng danh mục nhiệm vụ"))
    If VarType(chosen) = vbBoolean Then Exit Sub
    BangDK().Range("B8").Value = chosen
    Xong RunPython(PY & "import_word()")
    Exit Sub
Loi:
    BaoLoi U("Nhập từ Word")
End Sub

Public Sub TaoPhieu()
    On Error GoTo Loi
    If SanSang() Then Xong RunPython(PY & "generate()")
    Exit Sub
Loi:
    BaoLoi U("Tạo phiếu cho đơn vị")
End Sub

Public Sub TongHopPhieu()
    On Error GoTo Loi
    If SanSang() Then Xong RunPython(PY & "merge()")
    Exit Sub
Loi:
    BaoLoi U("Tổng hợp phiếu")
End Sub

Public Sub XemTinhHinh()
    On Error GoTo Loi
    If SanSang() Then Xong RunPython(PY & "status()")
    Exit Sub
Loi:
    BaoLoi U("Xem tình hình")
End Sub

Public Sub XuatKeHoach()
    On Error GoTo Loi
    If SanSang() Then Xong RunPython(PY & "report_plan()")
    Exit Sub
Loi:
    BaoLoi U("Xuất Kế hoạch")
End Sub

Public Sub XuatBaoCao()
    On Error GoTo Loi
    If SanSang() Then Xong RunPython(PY & "report_periodic()")
    Exit Sub
Loi:
    BaoLoi U("Xuất Báo cáo")
End Sub

Public Sub XuatCongVanDonDoc()
    On Error GoTo Loi
    If SanSang() Then Xong RunPython(PY & "report_reminder()")
    Exit Sub
Loi:
    BaoLoi U("Xuất công văn đôn đốc")
End Sub

Public Sub GuiPhieuQuaThu()
    On Error GoTo Loi
    If Not SanSang() Then Exit Sub
    If Not HoiLai(U("Gửi thư kèm phiếu báo cáo kỳ ") & BangDK().Range("B3").Text & _
        U(" tới các đơn vị chưa được gửi phiếu kỳ này?")) Then Exit Sub
    Xong RunPython(PY & "send_mail()")
    Exit Sub
Loi:
    BaoLoi U("Gửi phiếu qua thư")
End Sub

Public Sub NhanPhieuTuHopThu()
    On Error GoTo Loi
    If SanSang() Then Xong RunPython(PY & "collect_mail()")
    Exit Sub
Loi:
    BaoLoi U("Nhận phiếu từ hộp thư")
End Sub

Public Sub NhacHanDonDoc()
    On Error GoTo Loi
    If Not SanSang() Then Exit Sub
    If Not HoiLai(U("Gửi thư nhắc hạn (quá hạn: kèm công văn đôn đốc) tới các đơn vị chưa nộp phiếu kỳ ") & _
        BangDK().Range("B3").Text & "?") Then Exit Sub
    Xong RunPython(PY & "remind_mail()")
    Exit Sub
Loi:
    BaoLoi U("Nhắc hạn, đôn đốc")
End Sub

Public Sub ChonThuMucPhieuGui()
    On Error GoTo Loi
    ChonThuMuc "B4"
    Exit Sub
Loi:
    BaoLoi U("Chọn thư mục phiếu gửi đi")
End Sub

Public Sub ChonThuMucPhieuNhan()
    On Error GoTo Loi
    ChonThuMuc "B5"
    Exit Sub
Loi:
    BaoLoi U("Chọn thư mục phiếu nhận về")
End Sub

Public Sub ChonThuMucVanBan()
    On Error GoTo Loi
    ChonThuMuc "B7"
    Exit Sub
Loi:
    BaoLoi U("Chọn thư mục văn bản")
End Sub

Private Function BangDK() As Worksheet
    ' The dashboard, by its name.
    Set BangDK = ThisWorkbook.Worksheets(U("Bảng điều khiển"))
End Function

Private Sub ChonThuMuc(ByVal address As String)
    ' A folder picker (msoFileDialogFolderPicker = 4) writing its choice into a setting cell.
    With Application.FileDialog(4)
        .Title = U("Chọn thư mục")
        .AllowMultiSelect = False
        If .Show = -1 Then BangDK().Range(address).Value = .SelectedItems(1)
    End With
End Sub

Private Function SanSang() As Boolean
    ' Whether a button may call Python: the workbook saved and writable, Python ready.
    If ThisWorkbook.Path = "" Then
        ThongBao U("Sổ chưa được lưu thành tệp. Hãy lưu sổ (.xlsm) vào một thư mục rồi bấm lại nút."), 48
        Exit Function
    End If
    If ThisWorkbook.ReadOnly Then
        ThongBao U("Sổ đang mở ở chế độ chỉ đọc: có người khác đang mở sổ này (máy khác, thư mục dùng chung), ") & _
            U("hoặc tệp bị đặt chỉ đọc. Các nút không ghi được vào sổ. Hãy đóng sổ ở nơi kia, rồi đóng và mở lại sổ ở đây."), 48
        Exit Function
    End If
    If Not pythonOk Then pythonOk = KiemTraPython()
    SanSang = pythonOk
End Function

Private Function KiemTraPython() As Boolean
    ' Run the configured Python once: it must import xlwings and ccpkh_excel, and its xlwings
    ' must be the version of this workbook's xlwings module (XLWINGS_VERSION).
    Dim interpreter As String, lenh As String, tepGhi As String, ketQua As String
    Dim maThoat As Long, f As Integer
    #If Mac Then
        KiemTraPython = True
        Exit Function
    #End If
    interpreter = GetConfig("INTERPRETER_WIN", "")
    If interpreter = "" Then interpreter = GetConfig("INTERPRETER", "python")
    If interpreter <> "python" And interpreter <> "pythonw" Then
        If Dir(interpreter) = "" Then
            ThongBao U("Không tìm thấy Python tại: ") & interpreter & vbLf & _
                U("(ô Interpreter_Win của sheet xlwings.conf). Sửa lại đường dẫn tới python.exe, ") & _
                U("hoặc ghi python nếu Python đã có trong PATH."), 16
            Exit Function
        End If
        interpreter = Chr(34) & interpreter & Chr(34)
    End If
    tepGhi = Environ("TEMP") & "\ccpkh-excel-kiem-tra.txt"
    On Error Resume Next
    Kill tepGhi
    On Error GoTo 0
    lenh = interpreter & " -B -c " & Chr(34) & "import sys; import xlwings as x; print(x.__version__); " & _
        "import ccpkh_excel.macros; sys.exit(0 if x.__version__ == '" & XLWINGS_VERSION & "' else 3)" & Chr(34) & _
        " > " & Chr(34) & tepGhi & Chr(34) & " 2>&1"
    maThoat = CreateObject("WScript.Shell").Run("cmd.exe /C " & Chr(34) & lenh & Chr(34), 0, True)
    If Dir(tepGhi) <> "" Then
        f = FreeFile
        Open tepGhi For Binary Access Read As #f
        ketQua = Space$(LOF(f))
        Get #f, , ketQua
        Close #f
    End If
    If maThoat = 0 Then
        KiemTraPython = True
    ElseIf maThoat = 3 Then
        ThongBao U("Phần xlwings trong sổ là bản ") & XLWINGS_VERSION & U(", còn gói xlwings của Python là bản ") & _
            Trim$(Split(Replace(ketQua, vbCr, "") & vbLf, vbLf)(0)) & U(". Hai bản phải giống nhau. Trên Command Prompt, chạy:") & vbLf & _
            "pip install xlwings==" & XLWINGS_VERSION & vbLf & _
            U("(hoặc dựng lại sổ với xlwings của máy: ccpkh-excel macros TEN_SO.xlsm)."), 16
    ElseIf InStr(ketQua, "No module named 'xlwings'") > 0 Then
        ThongBao U("Python của máy chưa có gói xlwings (cần cho các nút). Trên Command Prompt, chạy:") & vbLf & _
            "pip install xlwings==" & XLWINGS_VERSION, 16
    ElseIf InStr(ketQua, "No module named 'ccpkh_excel'") > 0 Then
        ThongBao U("Python của máy chưa cài ccpkh-excel. Trên Command Prompt, vào thư mục mã nguồn và chạy:") & vbLf & _
            "pip install " & Chr(34) & ".[excel]" & Chr(34), 16
    ElseIf maThoat = 9009 Or maThoat = 1 And InStr(ketQua, "Traceback") = 0 Then
        ThongBao U("Không tìm thấy Python. Hãy cài Python 3.11 trở lên (đánh dấu 'Add python.exe to PATH'), ") & _
            U("hoặc ghi đường dẫn python.exe vào ô Interpreter_Win của sheet xlwings.conf."), 16
    Else
        ThongBao U("Python báo lỗi khi khởi động (mã ") & maThoat & "):" & vbLf & Left$(ketQua, 1500), 16
    End If
End Function

Private Sub Xong(ByVal result As Variant)
    ' RunPython gives -1 when Python stopped with an error xlwings has just shown.
    If VarType(result) <> vbEmpty Then
        If result = -1 Then
            ThongBao U("Python dừng giữa chừng (xem hộp thoại lỗi vừa hiện). Nếu chưa có thông báo 'Đã ...', ") & _
                U("sổ không đổi. Hãy báo người phụ trách kèm nội dung lỗi."), 16
        End If
    End If
End Sub

Private Sub BaoLoi(ByVal nut As String)
    ' The error handler of every button.
    Dim so As Long, mota As String
    so = Err.Number
    mota = Err.Description
    On Error Resume Next
    ThongBao U("Nút '") & nut & U("' gặp lỗi ") & so & ": " & mota & vbLf & _
        U("Hãy lưu sổ, đóng và mở lại rồi bấm lại nút; nếu vẫn lỗi, báo người phụ trách kèm thông báo này."), 16
End Sub

Private Sub ThongBao(ByVal noiDung As String, ByVal bieuTuong As Long)
    ' A message in Vietnamese: WScript.Shell's Popup shows Unicode; MsgBox only the maThoat page.
    On Error GoTo KhongCoShell
    CreateObject("WScript.Shell").Popup noiDung, 0, "ccpkh-excel", bieuTuong
    Exit Sub
KhongCoShell:
    MsgBox noiDung, bieuTuong, "ccpkh-excel"
End Sub

Private Function HoiLai(ByVal cauHoi As String) As Boolean
    ' Yes (6) or No to a question, before a button sends e-mail (4 = vbYesNo, 32 = vbQuestion).
    On Error GoTo KhongCoShell
    HoiLai = (CreateObject("WScript.Shell").Popup(cauHoi, 0, "ccpkh-excel", 4 + 32) = 6)
    Exit Function
KhongCoShell:
    HoiLai = (MsgBox(cauHoi, vbYesNo + vbQuestion, "ccpkh-excel") = vbYes)
End Function

Private Function U(ByVal s As String) As String
    ' Decode \uXXXX escapes into the letters they stand for.
    Dim i As Long, result As String
    i = 1
    Do While i <= Len(s)
        If Mid$(s, i, 2) = "\u" And i + 5 <= Len(s) Then
            result = result & ChrW(CLng("&H" & Mid$(s, i + 2, 4)))
            i = i + 6
        Else
            result = result & Mid$(s, i, 1)
            i = i + 1
        End If
    Loop
    U = result
End Function
