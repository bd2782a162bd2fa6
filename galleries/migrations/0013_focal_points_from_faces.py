"""The focal points of the photos whose faces were indexed before focal points existed
(galleries/focal.py): from then on, faces/services.py records them as it indexes."""

from collections import defaultdict

from django.db import migrations

from galleries import focal


def focal_points_from_faces(apps, schema_editor):
    Face = apps.get_model("faces", "Face")
    Photo = apps.get_model("galleries", "Photo")
    boxes = defaultdict(list)
    faces = Face.objects.order_by().values_list("photo_id", "box_left", "box_top", "box_width", "box_height")
    for photo_id, *box in faces.iterator(chunk_size=5000):
        boxes[photo_id].append(box)
    photos_at = defaultdict(list)  # one UPDATE for each point, not for each photo
    for photo_id, photo_boxes in boxes.items():
        point = focal.focal_point_from_faces(photo_boxes)
        if point is not None:
            photos_at[point].append(photo_id)
    for point, photo_ids in photos_at.items():
        for start in range(0, len(photo_ids), 500):
            Photo.objects.filter(pk__in=photo_ids[start : start + 500], focal_x__isnull=True).update(
                focal_x=point.x, focal_y=point.y
            )


class Migration(migrations.Migration):
    dependencies = [
        ("faces", "0004_picture_hash_applied_at_once"),
        ("galleries", "0012_focal_points"),
    ]

    operations = [migrations.RunPython(focal_points_from_faces, migrations.RunPython.noop, elidable=True)]
