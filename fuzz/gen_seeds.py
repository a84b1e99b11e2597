#!/usr/bin/env python3
"""Raw seed corpora for the fuzz targets, before minimisation.

Writes RAW/<target>/<name> for every target: the repository's fixtures
(fixtures/attachments, fixtures/messages, rules/, the config in
docs/install.md) plus generated, structured files that reach the deep
paths of each parser: PDFs with forms, object and xref streams, filters
and incremental updates; OOXML with shared strings, comments, headers;
ODF with repeated rows/columns; .ppt/.xls/.doc (OLE) made by LibreOffice
when it is installed; 7z made by p7zip; RAR 4/5 block headers; milter
packet streams; release and notice markers signed with the marker
target's key. scripts/fuzz.sh --seeds runs this and then `cargo fuzz cmin`
into fuzz/seeds/<target>/ (what is checked in).

Multi-type targets (extract_ooxml, extract_odf, extract_ole, extract_text)
read their first byte as the type index; seeds carry it.

Usage: gen_seeds.py RAW_DIR
"""
import base64, gzip, hashlib, hmac, io, os, shutil, struct, subprocess, sys, tempfile, zipfile, zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "fixtures")
ATT = os.path.join(FIX, "attachments")
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "fuzz", "corpus-raw")

NINO = "QQ123456C"
PERSON = "Pupil: Amelia Okonkwo-Smith, DOB 14/03/2012, NI " + NINO


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def fixture(name):
    with open(os.path.join(ATT, name), "rb") as f:
        return f.read()


def ext_files(*exts):
    for n in sorted(os.listdir(ATT)):
        if n.endswith(exts):
            yield n, fixture(n)


# ---------------------------------------------------------------- PDF
def pdf(objects, trailer_extra=b"", xref_stream=False, objstm=None):
    """objects: list of bytes bodies, numbered from 1. Catalog must be object 1."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    n = len(objects) + 1
    if xref_stream:
        rows = b"\x00\x00\x00\x00\xff\xff"
        for off in offsets:
            rows += b"\x01" + struct.pack(">I", off) + b"\x00"
        if objstm:
            stm_num, count = objstm
            for k in range(count):
                rows += b"\x02" + struct.pack(">I", stm_num) + bytes([k])
            n += count
        xoff = out.tell()
        data = zlib.compress(rows)
        out.write(b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 1] /Root 1 0 R /Filter /FlateDecode /Length %d %s>>\nstream\n"
                  % (n, n + 1, len(data), trailer_extra) + data + b"\nendstream\nendobj\n")
        # the xref stream object itself is not in its own table: readers cope
        out.write(b"startxref\n%d\n%%%%EOF\n" % xoff)
    else:
        xoff = out.tell()
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % n)
        for off in offsets:
            out.write(b"%010d 00000 n \n" % off)
        out.write(b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (n, trailer_extra, xoff))
    return out.getvalue()


def stream(dict_extra, data, flate=True):
    if flate:
        data = zlib.compress(data)
        dict_extra += b" /Filter /FlateDecode"
    return b"<< /Length %d %s >>\nstream\n" % (len(data), dict_extra) + data + b"\nendstream"


def text_ops(lines):
    ops = b"BT /F1 11 Tf 72 720 Td 14 TL\n"
    for l in lines:
        ops += b"(" + l.encode("latin-1").replace(b"(", b"\\(").replace(b")", b"\\)") + b") Tj T*\n"
    ops += b"[(Sp) -250 (aced) 120 (TJ)] TJ <48656C6C6F> Tj ET\n"
    return ops


FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


def pdf_seeds():
    lines = ["Class list", PERSON, "Medical: asthma; SEN support"]
    page = lambda content, extra=b"": b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R /Resources << /Font << /F1 4 0 R >> %s >> >>" % (content, extra)
    simple = pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                  page(5), FONT, stream(b"", text_ops(lines))])
    yield "simple.pdf", simple
    yield "uncompressed.pdf", pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                   page(5), FONT, stream(b"", text_ops(lines), flate=False)])
    # a Form XObject used from the page, and a nested form
    form_inner = stream(b"/Type /XObject /Subtype /Form /BBox [0 0 100 100] /Resources << /Font << /F1 4 0 R >> >>", text_ops(["inner form " + NINO]))
    form = stream(b"/Type /XObject /Subtype /Form /BBox [0 0 100 100] /Resources << /Font << /F1 4 0 R >> /XObject << /Y 7 0 R >> >>",
                  text_ops(["outer form"]) + b"/Y Do\n")
    yield "forms.pdf", pdf([b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [8 0 R] >> >>",
                            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                            page(5, b"/XObject << /X 6 0 R >>"), FONT,
                            stream(b"", text_ops(lines) + b"q /X Do Q /X Do\n"), form, form_inner,
                            b"<< /FT /Tx /T (pupil_name) /V (Amelia Okonkwo-Smith) /TU (Name) /Kids [] >>"])
    # object stream + xref stream
    inner = [b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", page(5), FONT]
    header = b""
    body = b""
    for k, o in enumerate(inner):
        header += b"%d %d " % (k + 2, len(body))
        body += o + b"\n"
    objstm = stream(b"/Type /ObjStm /N %d /First %d" % (len(inner), len(header)), header + body)
    yield "objstm.pdf", pdf([b"<< /Type /Catalog /Pages 2 0 R >>", objstm, b"null", b"null",
                             stream(b"", text_ops(lines))], xref_stream=True)
    # other filters: ASCIIHex, ASCII85, predictor, LZW-less RunLength
    hexed = text_ops(lines).hex().encode() + b">"
    yield "asciihex.pdf", pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                               page(5), FONT, b"<< /Length %d /Filter /ASCIIHexDecode >>\nstream\n" % len(hexed) + hexed + b"\nendstream"])
    a85 = base64.a85encode(zlib.compress(text_ops(lines))) + b"~>"
    yield "a85flate.pdf", pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                               page(5), FONT, b"<< /Length %d /Filter [/ASCII85Decode /FlateDecode] >>\nstream\n" % len(a85) + a85 + b"\nendstream"])
    # ToUnicode CMap font, hex strings
    cmap = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap 1 begincodespacerange <00> <FF> endcodespacerange 2 beginbfchar <41> <0051> <42> <0051> endbfchar 1 beginbfrange <30> <39> <0030> endbfrange endcmap end end"
    yield "tounicode.pdf", pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                page(5), b"<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H /ToUnicode 6 0 R >>",
                                stream(b"", b"BT /F1 12 Tf <4142313233343536> Tj ET"), stream(b"", cmap)])
    # incremental update: a second xref section with /Prev
    base = simple
    prev = int(base.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    add_off = len(base)
    add = b"5 0 obj\n" + stream(b"", text_ops(["updated " + NINO])) + b"\nendobj\n"
    xoff = add_off + len(add)
    upd = base + add + b"xref\n5 1\n%010d 00000 n \ntrailer\n<< /Size 6 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (add_off, prev, xoff)
    yield "incremental.pdf", upd
    # fake /Encrypt pointing at nothing
    yield "fake-encrypt.pdf", pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                   page(5), FONT, stream(b"", text_ops(lines))], trailer_extra=b"/Encrypt 99 0 R /ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>] ")
    # broken xref: reader must scan for objects
    yield "no-xref.pdf", simple.split(b"xref\n")[0] + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    # page tree with inherited resources, annotations with /Contents
    yield "annots.pdf", pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 /Resources << /Font << /F1 4 0 R >> >> >>",
                             b"<< /Type /Page /Parent 2 0 R /Contents [5 0 R 5 0 R] /Annots [6 0 R] >>", FONT,
                             stream(b"", text_ops(lines)), b"<< /Type /Annot /Subtype /Text /Contents (Note: DOB 01/02/2010) >>"])


# ---------------------------------------------------------------- ZIP-based
def zipbytes(members, method=zipfile.ZIP_DEFLATED, zip64=False):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", method) as z:
        for name, data in members:
            if zip64:
                with z.open(name, "w", force_zip64=True) as f:
                    f.write(data.encode() if isinstance(data, str) else data)
            else:
                z.writestr(name, data)
    return b.getvalue()


CT = '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
S = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def docx():
    doc = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {W}><w:body>'
           f'<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Pupil report</w:t></w:r></w:p>'
           f'<w:p><w:r><w:t xml:space="preserve">Name: </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>Amelia</w:t></w:r><w:r><w:tab/><w:t>Okonkwo&amp;Smith</w:t></w:r></w:p>'
           f'<w:tbl><w:tr><w:tc><w:p><w:r><w:t>NI</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>{NINO}</w:t></w:r></w:p></w:tc></w:tr></w:tbl>'
           f'<w:p><w:ins w:id="1"><w:r><w:t>DOB 14/03/2012</w:t></w:r></w:ins><w:del w:id="2"><w:r><w:delText>old</w:delText></w:r></w:del></w:p>'
           f'<w:sectPr/></w:body></w:document>')
    return zipbytes([("[Content_Types].xml", CT), ("word/document.xml", doc),
                     ("word/header1.xml", f'<w:hdr {W}><w:p><w:r><w:t>Confidential</w:t></w:r></w:p></w:hdr>'),
                     ("word/footnotes.xml", f'<w:footnotes {W}><w:footnote w:id="1"><w:p><w:r><w:t>Medical: epilepsy</w:t></w:r></w:p></w:footnote></w:footnotes>'),
                     ("word/comments.xml", f'<w:comments {W}><w:comment w:id="0"><w:p><w:r><w:t>check NI {NINO}</w:t></w:r></w:p></w:comment></w:comments>'),
                     ("docProps/core.xml", '<cp:coreProperties xmlns:cp="x" xmlns:dc="y"><dc:title>Report</dc:title></cp:coreProperties>')])


def xlsx():
    wb = f'<workbook {S} xmlns:r="r"><sheets><sheet name="Class 7B" sheetId="1" r:id="rId1"/></sheets></workbook>'
    sst = f'<sst {S} count="4" uniqueCount="4"><si><t>Name</t></si><si><t>NI</t></si><si><r><t>Amelia </t></r><r><t>Okonkwo</t></r></si><si><t>{NINO}</t></si></sst>'
    sheet = (f'<worksheet {S}><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>DOB</t></is></c></row>'
             f'<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c><c r="C2" s="1"><v>40982</v></c><c r="D2" t="str"><f>A2&amp;B2</f><v>x</v></c><c r="E2" t="b"><v>1</v></c></row></sheetData></worksheet>')
    styles = f'<styleSheet {S}><numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>'
    comments = f'<comments {S}><authors><author>T</author></authors><commentList><comment ref="A2" authorId="0"><text><t>SEN: autism</t></text></comment></commentList></comments>'
    return zipbytes([("[Content_Types].xml", CT), ("xl/workbook.xml", wb), ("xl/sharedStrings.xml", sst),
                     ("xl/styles.xml", styles), ("xl/worksheets/sheet1.xml", sheet), ("xl/comments1.xml", comments)])


def pptx():
    A = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"'
    slide = f'<p:sld {A}><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>Safeguarding case: Amelia</a:t></a:r></a:p><a:p><a:r><a:t>{NINO}</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>'
    notes = f'<p:notes {A}><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>speaker note DOB 01/01/2011</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:notes>'
    return zipbytes([("[Content_Types].xml", CT), ("ppt/presentation.xml", f'<p:presentation {A}/>'),
                     ("ppt/slides/slide1.xml", slide), ("ppt/notesSlides/notesSlide1.xml", notes)])


def odf(kind):
    mime = {"odt": "application/vnd.oasis.opendocument.text", "ods": "application/vnd.oasis.opendocument.spreadsheet",
            "odp": "application/vnd.oasis.opendocument.presentation"}[kind]
    NS = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" office:version="1.3"'
    if kind == "ods":
        body = ('<office:spreadsheet><table:table table:name="Class"><table:table-row>'
                '<table:table-cell office:value-type="string"><text:p>Name</text:p></table:table-cell>'
                '<table:table-cell table:number-columns-repeated="3"/><table:table-cell office:value-type="date" office:date-value="2012-03-14"><text:p>14/03/2012</text:p></table:table-cell></table:table-row>'
                f'<table:table-row table:number-rows-repeated="2"><table:table-cell office:value-type="string"><text:p>Amelia <text:s text:c="2"/>Okonkwo</text:p><office:annotation><text:p>SEN</text:p></office:annotation></table:table-cell><table:table-cell><text:p>{NINO}</text:p></table:table-cell></table:table-row>'
                '</table:table></office:spreadsheet>')
    elif kind == "odp":
        body = f'<office:presentation><draw:page><draw:frame><draw:text-box><text:p>Case: Amelia {NINO}</text:p></draw:text-box></draw:frame></draw:page></office:presentation>'
    else:
        body = (f'<office:text><text:h text:outline-level="1">Report</text:h><text:p>Name: Amelia<text:tab/>Okonkwo<text:line-break/>NI {NINO}</text:p>'
                '<text:list><text:list-item><text:p>Medical: asthma</text:p></text:list-item></text:list><text:p><text:note><text:note-body><text:p>DOB 14/03/2012</text:p></text:note-body></text:note></text:p></office:text>')
    content = f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS}><office:body>{body}</office:body></office:document-content>'
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), mime)  # stored, first
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        z.writestr("meta.xml", f'<office:document-meta {NS}><office:meta><dc:title xmlns:dc="dc">T</dc:title></office:meta></office:document-meta>', zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="%s"/></manifest:manifest>' % mime, zipfile.ZIP_DEFLATED)
    return b.getvalue()


def fodt():
    return f'<?xml version="1.0"?><office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:mimetype="application/vnd.oasis.opendocument.text"><office:body><office:text><text:p>{PERSON}</text:p></office:text></office:body></office:document>'


# ---------------------------------------------------------------- OLE via LibreOffice
def libreoffice_convert(src_name, data, fmt):
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        return None
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, src_name)
        with open(p, "wb") as f:
            f.write(data)
        r = subprocess.run([exe, "--headless", "--convert-to", fmt, "--outdir", d, p], capture_output=True, timeout=120)
        outp = os.path.splitext(p)[0] + "." + fmt.split(":")[0]
        if r.returncode == 0 and os.path.exists(outp):
            with open(outp, "rb") as f:
                return f.read()
    return None


# ---------------------------------------------------------------- 7z via p7zip
def sevenz(args_list):
    exe = shutil.which("7z") or shutil.which("7za")
    if not exe:
        return []
    out = []
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "class-list.csv")
        with open(src, "w") as f:
            f.write("name,ni,dob\nAmelia Okonkwo,%s,14/03/2012\n" % NINO)
        with open(os.path.join(d, "notes.txt"), "w") as f:
            f.write("Medical: asthma\n" * 5)
        for tag, args in args_list:
            arc = os.path.join(d, tag + ".7z")
            subprocess.run([exe, "a", "-bd", "-y"] + args + [arc, src, os.path.join(d, "notes.txt")], capture_output=True, check=True, cwd=d)
            with open(arc, "rb") as f:
                out.append((tag + ".7z", f.read()))
    return out


# ---------------------------------------------------------------- RAR headers
def crc16(data):
    return zlib.crc32(data) & 0xFFFF


def rar4(file_flags, main_flags=0):
    def block(kind, flags, body=b"", add=None):
        head = bytes([kind]) + struct.pack("<H", flags | (0x8000 if add is not None else 0))
        size = 7 + len(body) + (4 if add is not None else 0)
        rest = struct.pack("<H", size) + (struct.pack("<I", add) if add is not None else b"") + body
        return struct.pack("<H", crc16(head + rest)) + head + rest
    r = b"Rar!\x1a\x07\x00" + block(0x73, main_flags, b"\x00" * 6)
    name = b"class-list.csv"
    fh = struct.pack("<IBIIBBHI", 12, 2, 0, 0x5A3C0000, 29, 0x30, len(name), 0x20) + name
    r += block(0x74, file_flags, fh[4:], add=12) + b"x" * 12
    r += block(0x7B, 0x4000, b"")
    return r


def vint(v):
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def rar5(encrypted_file=False, encrypted_headers=False):
    def block(kind, flags, fields=b"", extra=b"", data=b""):
        h = vint(kind) + vint(flags | (1 if extra else 0) | (2 if data else 0))
        if extra:
            h += vint(len(extra))
        if data:
            h += vint(len(data))
        h += fields + extra
        hs = vint(len(h))
        return struct.pack("<I", zlib.crc32(hs + h)) + hs + h + data
    r = b"Rar!\x1a\x07\x01\x00"
    if encrypted_headers:
        r += block(4, 0, vint(0) + vint(0) + bytes([15]) + b"s" * 16 + b"c" * 12)
        return r + os.urandom(0) + b"\x00" * 32
    r += block(1, 0, vint(0))
    name = b"class-list.csv"
    extra = b""
    if encrypted_file:
        rec = vint(1) + vint(0) + vint(0) + bytes([15]) + b"s" * 16 + b"i" * 16
        extra = vint(len(rec)) + rec
    fields = vint(0) + vint(40) + vint(0x20) + vint(0) + vint(2) + vint(len(name)) + name
    r += block(2, 0, fields, extra, data=b"y" * 40)
    r += block(5, 0, vint(0))
    return r


# ---------------------------------------------------------------- milter packets
def pkt(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data


def milter_session(raw, sender=b"office@school.example", rcpts=(b"parent@gmail.example",), chunk=65535, abort=False):
    raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    s = pkt(b"O", struct.pack(">III", 6, 0x1FF, 0x1FFFFF))
    s += pkt(b"D", b"C" + b"j\0mx.school.example\0{daemon_name}\0smtpd\0v\0Postfix 3.7\0")
    s += pkt(b"C", b"laptop.school.example\0" + b"4" + struct.pack(">H", 5555) + b"192.0.2.10\0")
    s += pkt(b"H", b"laptop.school.example\0")
    s += pkt(b"D", b"M" + b"i\0" + b"4F3A2B1C\0{auth_authen}\0teacher\0")
    s += pkt(b"M", b"<" + sender + b">\0SIZE=1000\0")
    for r in rcpts:
        s += pkt(b"R", b"<" + r + b">\0")
    s += pkt(b"T")
    head, _, body = raw.partition(b"\r\n\r\n")
    cur = None
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and cur:
            cur[1] += b"\r\n" + line
        elif b":" in line:
            if cur:
                s += pkt(b"L", cur[0] + b"\0" + cur[1] + b"\0")
            n, _, v = line.partition(b":")
            cur = [n, v.lstrip(b" ")]
    if cur:
        s += pkt(b"L", cur[0] + b"\0" + cur[1] + b"\0")
    s += pkt(b"N")
    for i in range(0, len(body), chunk):
        s += pkt(b"B", body[i:i + chunk])
    if abort:
        s += pkt(b"A")
    else:
        s += pkt(b"E")
    return s + pkt(b"Q")


# ---------------------------------------------------------------- markers
KEY = b"dlp-milter fuzz marker key 32 b."
NOW = 1_800_000_000


def marker(kind, raw, sender, rcpts, t=NOW - 60, mid="r-12345"):
    def h(key, msg):
        return hmac.new(key, msg, hashlib.sha256).digest()
    kid = h(KEY, b"dlp-milter key id")[:4].hex()
    kk = h(KEY, b"dlp-milter marker key v2\0" + kind)
    body = raw.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in raw else b""
    lines = [l[:-1] if l.endswith(b"\r") else l for l in body.split(b"\n")]
    while lines and not lines[-1]:
        lines.pop()
    bh = hashlib.sha256(b"".join(l + b"\r\n" for l in lines)).digest()
    rc = sorted(set(r.strip().strip("<>").strip().lower() for r in rcpts))
    m = hmac.new(kk, digestmod=hashlib.sha256)
    def field(b):
        m.update(struct.pack(">Q", len(b)) + b)
    for f in (b"dlp-milter marker v2", kind, kid.encode(), mid.encode(), str(t).encode(), bh, sender.lower().encode(), struct.pack(">Q", len(rc))):
        field(f)
    for r in rc:
        field(r.encode())
    return "v2; k=%s; id=%s; t=%d; mac=%s" % (kid, mid, t, m.hexdigest())


def mime(parts, subject="Class list", boundary="b1"):
    out = (f"From: Teacher <teacher@school.example>\r\nTo: Parent <parent@gmail.example>\r\nSubject: {subject}\r\n"
           f"Date: Mon, 7 Dec 2026 09:00:00 +0000\r\nMessage-ID: <x@school.example>\r\nMIME-Version: 1.0\r\n"
           f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\nPreamble\r\n').encode()
    for ctype, name, data in parts:
        out += f"--{boundary}\r\nContent-Type: {ctype}".encode()
        if name:
            out += f'; name="{name}"\r\nContent-Disposition: attachment; filename="{name}"'.encode()
        if isinstance(data, str):
            out += b"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + data.encode() + b"\r\n"
        else:
            b64 = base64.encodebytes(data).replace(b"\n", b"\r\n")
            out += b"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64
    return out + f"--{boundary}--\r\n".encode()


def main():
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    # PDF
    for n, d in ext_files(".pdf"):
        put("extract_pdf", n, d)
    for n, d in pdf_seeds():
        put("extract_pdf", n, d)
    # ZIP
    for n, d in ext_files(".zip"):
        put("extract_zip", n, d)
    put("extract_zip", "gen-stored.zip", zipbytes([("a.csv", "name,ni\nA," + NINO), ("dir/", ""), ("b.txt", PERSON)], zipfile.ZIP_STORED))
    put("extract_zip", "gen-zip64.zip", zipbytes([("a.csv", "name,ni\nA," + NINO)], zip64=True))
    put("extract_zip", "gen-nested.zip", zipbytes([("inner.zip", zipbytes([("deep.csv", "ni\n" + NINO), ("x.docx", docx())]))]))
    put("extract_zip", "gen-gz.zip", zipbytes([("a.csv.gz", gzip.compress(b"ni\n" + NINO.encode()))]))
    # gzip
    for n, d in ext_files(".gz"):
        put("extract_gzip", n, d)
    put("extract_gzip", "multi.gz", gzip.compress(b"part one " + NINO.encode()) + gzip.compress(b"part two"))
    hdr = b"\x1f\x8b\x08\x1e" + b"\x00" * 4 + b"\x00\x03" + struct.pack("<H", 4) + b"AB\x00\x00" + b"name.csv\x00" + b"comment\x00"
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = comp.compress(b"ni,dob\n" + NINO.encode() + b",14/03/2012\n") + comp.flush()
    put("extract_gzip", "fextra.gz", hdr + raw + struct.pack("<II", zlib.crc32(b"ni,dob\n" + NINO.encode() + b",14/03/2012\n"), 30))
    put("extract_gzip", "tar.gz", gzip.compress(tarball()))
    # OOXML (first byte: 0 docx, 1 xlsx, 2 pptx)
    for n, d in ext_files(".docx"):
        put("extract_ooxml", n, b"\x00" + d)
    for n, d in ext_files(".xlsx"):
        put("extract_ooxml", n, b"\x01" + d)
    for n, d in ext_files(".pptx"):
        put("extract_ooxml", n, b"\x02" + d)
    put("extract_ooxml", "gen.docx", b"\x00" + docx())
    put("extract_ooxml", "gen.xlsx", b"\x01" + xlsx())
    put("extract_ooxml", "gen.pptx", b"\x02" + pptx())
    # ODF (0 odt, 1 ods, 2 odp)
    for i, e in enumerate(("odt", "ods", "odp")):
        for n, d in ext_files("." + e):
            put("extract_odf", n, bytes([i]) + d)
        put("extract_odf", "gen." + e, bytes([i]) + odf(e))
    put("extract_text", "fodt.xml", b"\x00" + fodt().encode())
    # OLE (0 .xls, 1 .doc, 2 .ppt)
    for n, d in ext_files(".xls"):
        put("extract_ole", n, b"\x00" + d)
    for n, d in ext_files(".doc"):
        put("extract_ole", n, b"\x01" + d)
    for n, d in ext_files(".xlsx", ".docx"):
        if d.startswith(b"\xd0\xcf\x11\xe0"):
            put("extract_ole", "encrypted-" + n, b"\x00" + d)
    for idx, (src, data, fmt) in enumerate([("slides.pptx", fixture("slides.pptx"), "ppt"),
                                             ("gen.xlsx", xlsx(), "xls"), ("gen.docx", docx(), "doc"),
                                             ("gen.pptx", pptx(), "ppt")]):
        conv = libreoffice_convert(src, data, fmt)
        if conv:
            put("extract_ole", f"lo-{idx}.{fmt}", bytes([{"xls": 0, "doc": 1, "ppt": 2}[fmt]]) + conv)
    # fuzz/seed-extra/slides.ppt: text atoms in a "PowerPoint Document"
    # stream, built with the cfb crate as ole.rs's unit tests build theirs
    extra = os.path.join(ROOT, "fuzz", "seed-extra")
    for n in sorted(os.listdir(extra)) if os.path.isdir(extra) else []:
        if n.endswith(".ppt"):
            with open(os.path.join(extra, n), "rb") as f:
                put("extract_ole", n, b"\x02" + f.read())
    # RTF
    for n, d in ext_files(".rtf"):
        put("extract_rtf", n, d)
    put("extract_rtf", "gen.rtf", r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Arial;}{\f1\fcharset238 Times;}}{\colortbl;\red0\green0\blue0;}"
        r"{\info{\title Report}{\author T}}\pard\plain Name: Amelia \'d6konkwo\par NI " + NINO + r"\par{\*\generator x}\u8364?\uc2\u8216 ab {\field{\*\fldinst HYPERLINK x}{\fldrslt DOB 14/03/2012}}"
        r"\trowd\cellx1000\cellx2000 A\cell B\cell\row{\pict\pngblip 89504e47}{\object\objdata 0102}\bin3 abc}")
    # HTML
    for n, d in ext_files(".html"):
        put("extract_html", n, d)
    put("extract_html", "gen.html", f'<!DOCTYPE html><html><head><meta charset="windows-1252"><title>Pupil {NINO}</title><style>/* {NINO} */ p{{}}</style><script>var x="<p>";</script></head>'
        f'<body><!-- NI {NINO} --><p>Name:&nbsp;Amelia&amp;Okonkwo &#163;5 &#x20AC; &eacute;</p><table><tr><td>DOB</td><td>14/03/2012</td></tr></table>'
        f'<img alt="NI {NINO}" title="x"><input value="{NINO}"><br/><pre>  a\n  b</pre><a href="mailto:x@y">x</a> <b unclosed {NINO}'.encode("cp1252"))
    put("extract_html", "utf16.html", "\ufeff<html><body><p>" + PERSON + "</p></body></html>")
    put("extract_html", "utf16.html", ("\ufeff<html><body><p>" + PERSON + "</p></body></html>").encode("utf-16-le"))
    # text / csv / tsv (0 txt, 1 csv, 2 tsv)
    for n, d in ext_files(".txt"):
        put("extract_text", n, b"\x00" + d)
    for n, d in ext_files(".csv"):
        put("extract_text", n, b"\x01" + d)
        put("extract_text", n + ".utf16bom", b"\x01" + b"\xff\xfe" + d.decode("utf-8", "replace").encode("utf-16-le"))
        put("extract_text", n + ".utf16nobom", b"\x01" + d.decode("utf-8", "replace").encode("utf-16-le"))
        put("extract_text", n + ".utf16be", b"\x01" + b"\xfe\xff" + d.decode("utf-8", "replace").encode("utf-16-be"))
    for n, d in ext_files(".tsv"):
        put("extract_text", n, b"\x02" + d)
    put("extract_text", "quoted.csv", b'\x01"Name","Notes"\r\n"Okonkwo, Amelia","said ""hi""\r\nNI ' + NINO.encode() + b'"\r\n,,\r\n')
    put("extract_text", "cp1252.txt", b"\x00" + ("Zo\u00eb M\u00fcller \u00a3 " + PERSON).encode("cp1252"))
    put("extract_text", "utf8bom.txt", b"\x00\xef\xbb\xbf" + PERSON.encode())
    # 7z
    for n, d in ext_files(".7z"):
        put("extract_sevenz", n, d)
    for n, d in sevenz([("lzma2", ["-m0=lzma2"]), ("lzma", ["-m0=lzma"]), ("copy", ["-m0=copy"]), ("bzip2", ["-m0=bzip2"]),
                        ("deflate", ["-m0=deflate"]), ("ppmd", ["-m0=ppmd"]), ("bcj", ["-mf=BCJ"]), ("solid-off", ["-ms=off"]),
                        ("hdr-plain", ["-mhc=off"]), ("pw", ["-pSecret1"]), ("pw-hdr", ["-pSecret1", "-mhe=on"])]):
        put("extract_sevenz", n, d)
    # RAR
    put("extract_rar", "rar4-plain.rar", rar4(0))
    put("extract_rar", "rar4-enc.rar", rar4(0x04))
    put("extract_rar", "rar4-hdr.rar", rar4(0, 0x0080))
    put("extract_rar", "rar5-plain.rar", rar5())
    put("extract_rar", "rar5-enc.rar", rar5(encrypted_file=True))
    put("extract_rar", "rar5-hdr.rar", rar5(encrypted_headers=True))
    # messages
    msgs = sorted(os.path.join(FIX, "messages", n) for n in os.listdir(os.path.join(FIX, "messages")) if n.endswith(".eml"))
    for p in msgs:
        with open(p, "rb") as f:
            d = f.read()
        put("scan_message", os.path.basename(p), d)
        if b"message/rfc822" in d or b"Content-Type" in d:
            put("extract_eml", os.path.basename(p), d)
    for sub in ("positives", "negatives"):
        d0 = os.path.join(FIX, "eval", sub)
        if os.path.isdir(d0):
            for n in sorted(os.listdir(d0))[:40]:
                with open(os.path.join(d0, n), "rb") as f:
                    put("scan_message", sub + "-" + n, f.read())
    att = [("application/pdf", "report.pdf", dict(pdf_seeds())["forms.pdf"]),
           ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "class.xlsx", xlsx()),
           ("application/zip", "n.zip", zipbytes([("a.csv", "ni\n" + NINO)])),
           ("text/csv", "c.csv", fixture("class-list.csv")),
           ("application/vnd.oasis.opendocument.spreadsheet", "c.ods", odf("ods")),
           ("application/msword", "r.doc", fixture("pupil-report.doc")),
           ("application/x-7z-compressed", "p.7z", fixture("plain.7z"))]
    for i, a in enumerate(att):
        m = mime([("text/plain; charset=utf-8", None, "Please find attached.=0D=0A-- =0D=0AMrs T, Year 7"), a])
        put("scan_message", f"gen-att-{i}.eml", m)
        put("extract_eml", f"gen-att-{i}.eml", m)
    fwd = mime([("text/plain", None, "see below"), ("message/rfc822", "fwd.eml", mime([("text/html; charset=iso-8859-1", None, f"<p>NI {NINO}</p>"), att[3]], boundary="b2"))])
    put("scan_message", "gen-forward.eml", fwd)
    put("extract_eml", "gen-forward.eml", fwd)
    enc = (f"From: =?UTF-8?B?{base64.b64encode('Zoë Ñúñez'.encode()).decode()}?= <z@school.example>\r\nTo: a@b.example, c@d.example\r\n"
           f"Subject: =?ISO-8859-1?Q?Sch=FCler_{NINO}?=\r\nContent-Type: text/plain; charset=utf-16\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           + base64.encodebytes(("\ufeff" + PERSON).encode("utf-16-le")).decode().replace("\n", "\r\n")).encode()
    put("scan_message", "gen-encoded.eml", enc)
    # milter packet streams
    for i, p in enumerate(msgs[:12]):
        with open(p, "rb") as f:
            d = f.read()
        put("milter", f"session-{i}", milter_session(d, chunk=4096 if i % 2 else 65535, abort=(i == 3)))
    put("milter", "session-att", milter_session(mime([att[0]]), rcpts=(b"a@gmail.example", b"b@gmail.example", b"c@school.example")))
    put("milter", "session-fwd", milter_session(fwd))
    relmsg = b"From: dpo@school.example\r\nTo: parent@gmail.example\r\nSubject: released\r\n\r\nNI " + NINO.encode() + b"\r\n"
    rel = b"X-DLP-Release: " + marker(b"release", relmsg, "office@school.example", ["parent@gmail.example"]).encode() + b"\r\n" + relmsg
    put("milter", "session-release", milter_session(rel, sender=b"office@school.example"))
    put("milter", "negotiate-only", pkt(b"O", struct.pack(">III", 2, 0x3F, 0x7F)) + pkt(b"Q"))
    # markers (body bound to the envelope the marker target uses)
    rcpts = ["dpo@school.example", "Head@School.Example"]
    for kind in (b"release", b"notice"):
        for i, body in enumerate([b"NI " + NINO.encode() + b"\r\n", b"line\nbare LF\n\n\n", b""]):
            msg = b"From: x@school.example\r\nSubject: s\r\n\r\n" + body
            hdr = b"X-DLP-Release" if kind == b"release" else b"X-DLP-Notice"
            v = marker(kind, msg, "office@school.example", rcpts, mid=f"id-{i}").encode()
            put("marker", f"{kind.decode()}-{i}", hdr + b": " + v + b"\r\n" + msg)
            put("marker", f"{kind.decode()}-{i}-folded", hdr + b": " + v.replace(b"; mac=", b";\r\n\tmac=") + b"\r\n" + msg)
    # config and rules
    for n in sorted(os.listdir(os.path.join(ROOT, "rules"))):
        with open(os.path.join(ROOT, "rules", n), "rb") as f:
            put("config", "rules-" + n, f.read())
    with open(os.path.join(ROOT, "docs", "install.md")) as f:
        txt = f.read()
    for i, block in enumerate(txt.split("```toml")[1:]):
        put("config", f"install-{i}.toml", block.split("```")[0])
    put("config", "full.toml", """data_dir = "/var/lib/dlp-milter"
[organisation]
name = "Northshire School"
domains = ["school.example", "northshire.sch.uk"]
[rules]
dir = "/etc/dlp-milter/rules"
[limits]
max_depth = 4
max_ratio = 200
time_per_message_ms = 2000
[log]
format = "json"
level = "debug"
[milter]
listen = "inet:127.0.0.1:10025"
scan_threads = 2
max_sessions = 50
on_failure = "hold"
allow_clients = ["127.0.0.1", "10.0.0.0/8"]
[quarantine]
[notice]
""")


def tarball():
    import tarfile
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w") as t:
        for name, data in (("a.csv", ("ni\n" + NINO).encode()), ("b.txt", PERSON.encode())):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    return b.getvalue()


if __name__ == "__main__":
    main()
