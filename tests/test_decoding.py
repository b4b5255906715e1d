import codecs

import pytest

from dedup.io.decoding import UndecodableError, declared_charset, decode, looks_binary

TEXT = "中国证券报记者获悉，两岸关系与产业链供应链稳定性备受关注。"


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030", "gbk"])
def test_decodes_common_chinese_encodings(encoding):
    text, _ = decode(TEXT.encode(encoding))
    assert text == TEXT


def test_big5_is_told_apart_from_gbk():
    traditional = "中國證券報記者獲悉，兩岸關係與產業鏈供應鏈穩定性備受關注，這是臺灣媒體的報導。"
    text, name = decode(traditional.encode("big5"))
    assert text == traditional
    assert "big5" in name


@pytest.mark.parametrize("bom,encoding", [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                                          (codecs.BOM_UTF16_BE, "utf-16-be")])
def test_byte_order_marks_win(bom, encoding):
    text, _ = decode(bom + TEXT.encode(encoding))
    assert text == TEXT


def test_declared_charset_is_used_and_aliased():
    page = b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=GB2312"></head>' + TEXT.encode("gbk")
    assert declared_charset(page) == "gb18030"
    text, name = decode(page, declared_charset(page))
    assert TEXT in text and name == "gb18030"


def test_wrong_declaration_falls_back():
    page = b'<meta charset="utf-8">' + TEXT.encode("gb18030")
    text, name = decode(page, declared_charset(page))
    assert TEXT in text and name == "gb18030"


def test_binary_is_detected_but_utf16_is_not():
    assert looks_binary(b"\x89PNG\r\n\x1a\n" + bytes(200))
    assert not looks_binary(codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"))
    assert not looks_binary(TEXT.encode("utf-8"))


def test_broken_bom_file_is_undecodable():
    with pytest.raises(UndecodableError):
        decode(codecs.BOM_UTF8 + b"\xff\xfe\xfa")


def _with_stray_bytes(encoding: str, charset: str | None, strays: int) -> bytes:
    head = f'<html><head><meta charset="{charset}"></head><body><p>' if charset else "<html><body><p>"
    # Between characters, a byte that starts no sequence (a truncated character, a pasted fragment).
    chunks = [(TEXT * 30).encode(encoding) for _ in range(strays + 1)]
    return head.encode() + b"\xff".join(chunks) + b"</p></body></html>"


def test_a_declared_gb2312_page_with_a_few_invalid_bytes_is_kept():
    data = _with_stray_bytes("gb18030", "gb2312", 3)
    text, name = decode(data, declared_charset(data))
    assert name == "gb18030"
    assert text.count("\ufffd") == 3 and text.count("两岸关系") == 120


def test_an_undeclared_gbk_page_with_two_stray_bytes_is_not_mojibake():
    data = _with_stray_bytes("gbk", None, 2)
    text, name = decode(data)
    assert name == "gb18030" and "中国证券报记者获悉" in text


def test_bytes_with_many_invalid_sequences_are_not_forced_into_a_chinese_charset():
    data = bytearray(_with_stray_bytes("gb18030", "gb2312", 0))
    for position in range(100, len(data), 40):
        data[position] = 0xFF
    try:
        text, name = decode(bytes(data), "gb18030")
    except UndecodableError:
        return
    assert name != "gb18030" or "\ufffd" not in text
