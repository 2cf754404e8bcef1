"""The growing array the decoders write into: what goes in comes out, in order, past its size."""

import numpy as np

from mudar.io.buffer import RowBuffer


def test_rows_come_back_in_order_when_the_buffer_grows():
    buf = RowBuffer(3, (2,), np.int64)
    rows = np.arange(20).reshape(10, 2)
    buf.append(rows[0])
    buf.extend(rows[1:7])  # past the 3 rows it was sized for
    for r in rows[7:]:
        buf.append(r)
    np.testing.assert_array_equal(buf.view(), rows)
    np.testing.assert_array_equal(buf.array(), rows)
    assert buf.array().base is None or len(buf.buf) == 10  # its own array unless exactly full


def test_an_exactly_full_buffer_is_returned_without_a_copy():
    buf = RowBuffer(4)
    buf.extend(np.ones(4, np.float32))
    assert buf.array() is buf.buf and buf.view().dtype == np.float32
