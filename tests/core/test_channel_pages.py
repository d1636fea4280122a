"""Names and pages for a layer's many channels (the animator's trained-CNN source)."""

import pytest

from convstudio.core.animator_sources import ANIMATOR_SOURCES, TRAINED_SOURCE
from convstudio.core.channels import channel_names, page_of


def test_colour_channels_keep_their_letters_and_maps_get_numbers():
    assert channel_names(3) == ("R", "G", "B")
    names = channel_names(32)
    assert len(names) == 32 and names[0] == "map 0" and names[7] == "map 7"
    assert names[31] == "map 31"


def test_a_page_holds_the_current_item():
    assert page_of(0, 32, 8) == range(0, 8)
    assert page_of(7, 32, 8) == range(0, 8)
    assert page_of(8, 32, 8) == range(8, 16)
    assert page_of(63, 64, 8) == range(56, 64)
    assert page_of(5, 6, 4) == range(4, 6)       # the last page may be short
    assert page_of(2, 3, 8) == range(0, 3)       # few items: all of them
    assert page_of(99, 10, 4) == range(8, 10)    # clamped to the last item
    with pytest.raises(ValueError, match="size"):
        page_of(0, 4, 0)


def test_the_trained_source_is_a_source_lessons_accept():
    from convstudio import lessons

    assert TRAINED_SOURCE == "cnn-maps" and TRAINED_SOURCE in ANIMATOR_SOURCES
    assert lessons.ANIMATOR_SOURCES == ANIMATOR_SOURCES
