from practices.revisions import GAP, diff_hunks, side_by_side, text_diff


def test_text_diff_tags_added_and_removed_lines():
    diff = text_diff("a\nb\nc", "a\nB\nc")
    assert diff == [[" ", "a"], ["-", "b"], ["+", "B"], [" ", "c"]]


def test_diff_hunks_keep_context_and_mark_gaps():
    old = "\n".join(str(i) for i in range(20))
    new = old.replace("3", "three").replace("15", "fifteen")
    hunks = diff_hunks(text_diff(old, new), context=1)
    assert [" ", "2"] in hunks and [" ", "4"] in hunks
    assert [GAP, ""] in hunks
    assert [" ", "9"] not in hunks


def test_side_by_side_pairs_changed_lines():
    rows = side_by_side("a\nb", "a\nc\nd")
    assert rows[0].tag == "equal"
    assert (rows[1].left, rows[1].right) == ("b", "c")
    assert (rows[2].left, rows[2].right) == (None, "d")
