Attribute VB_Name = "BangDieuKhien"
' Buttons of the "Bang dieu khien" sheet of a ccpkh-excel master workbook.
' Each button runs one Sub below; each Sub runs one entry point of ccpkh_excel.macros
' through xlwings' RunPython, which does the work in Python on this open workbook.
' Text shown to the clerk is written in U("..."): the build stores its Vietnamese letters
' as \uXXXX escapes (a VBA project keeps its source in a Windows code page) and U decodes them.
Option Explicit

Private Const PY As String = "import ccpkh_excel.macros as m; m."

Public Sub KiemTraDanhMuc()
    RunPython PY & "check()"
End Sub

Public Sub NhapTuWord()
    Dim chosen As Variant
    chosen = Application.GetOpenFilename(U("Văn bản kế hoạch (*.docx;*.xlsx),*.docx;*.xlsx"), , _
        U("Chọn văn bản kế hoạch có bảng danh mục nhiệm vụ"))
    If VarType(chosen) = vbBoolean Then Exit Sub
    ThisWorkbook.Worksheets(1).Range("B8").Value = chosen
    RunPython PY & "import_word()"
End Sub

Public Sub TaoPhieu()
    RunPython PY & "generate()"
End Sub

Public Sub TongHopPhieu()
    RunPython PY & "merge()"
End Sub

Public Sub XemTinhHinh()
    RunPython PY & "status()"
End Sub

Public Sub XuatKeHoach()
    RunPython PY & "report_plan()"
End Sub

Public Sub XuatBaoCao()
    RunPython PY & "report_periodic()"
End Sub

Public Sub XuatCongVanDonDoc()
    RunPython PY & "report_reminder()"
End Sub

Public Sub ChonThuMucPhieuGui()
    ChonThuMuc "B4"
End Sub

Public Sub ChonThuMucPhieuNhan()
    ChonThuMuc "B5"
End Sub

Public Sub ChonThuMucVanBan()
    ChonThuMuc "B7"
End Sub

Private Sub ChonThuMuc(ByVal address As String)
    ' A folder picker (msoFileDialogFolderPicker = 4) writing its choice into a setting cell.
    With Application.FileDialog(4)
        .Title = U("Chọn thư mục")
        .AllowMultiSelect = False
        If .Show = -1 Then ThisWorkbook.Worksheets(1).Range(address).Value = .SelectedItems(1)
    End With
End Sub

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
