"""Which face of a selfie is the guest's (faces.engines.base.selfie_face_index): the
rule both engines use, on boxes as ratios of the picture."""

from faces.engines.base import FaceBox, selfie_face_index


def _box(centre_x: float, centre_y: float, side: float) -> FaceBox:
    return FaceBox(left=centre_x - side / 2, top=centre_y - side / 2, width=side, height=side)


def test_it_takes_the_only_face():
    assert selfie_face_index([_box(0.3, 0.3, 0.2)]) == 0


def test_it_takes_the_largest_face_when_the_others_are_people_in_the_background():
    # The second is under half the area of the first (0.14 / 0.2 squared is 0.49).
    faces = [_box(0.8, 0.2, 0.14), _box(0.3, 0.7, 0.2)]

    assert selfie_face_index(faces) == 1


def test_of_two_faces_of_about_one_size_it_takes_the_one_in_the_middle():
    friend_beside, guest_in_the_middle = _box(0.15, 0.45, 0.3), _box(0.5, 0.5, 0.25)

    assert selfie_face_index([friend_beside, guest_in_the_middle]) == 1


def test_a_background_face_in_the_middle_does_not_take_the_place_of_the_guest():
    guest, small_face_in_the_middle = _box(0.2, 0.3, 0.3), _box(0.5, 0.5, 0.1)

    assert selfie_face_index([guest, small_face_in_the_middle]) == 0


def test_a_group_selfie_with_no_face_in_the_middle_cannot_be_told():
    assert selfie_face_index([_box(0.3, 0.5, 0.2), _box(0.7, 0.5, 0.2)]) is None


def test_two_faces_of_one_size_both_over_the_middle_cannot_be_told():
    # Cheek to cheek: both boxes hold the centre of the picture.
    assert selfie_face_index([_box(0.42, 0.5, 0.2), _box(0.58, 0.5, 0.2)]) is None


def test_no_face_is_no_choice():
    assert selfie_face_index([]) is None
