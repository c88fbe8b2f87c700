"""Person analysis for try-on: where the body is, what must stay in front of a garment, and whether the
photo can be used at all.

MediaPipe's BlazePose (33 landmarks and a person mask) finds the body; its face detector counts people.
Points are named by IMAGE side ("_l" is the left of the picture), because a front-view garment photo's
left side lands on the left of the picture too. A skin colour model sampled from the face separates bare
arms, hands and neck from clothing, which decides what is drawn over the new garment and which of the
old clothing is painted out.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass

import cv2
import numpy as np

# BlazePose landmark indices by the wearer's side; a front view mirrors them onto the image.
_WEARER = {
    "nose": 0, "mouth_l": 9, "mouth_r": 10,
    "shoulder_left": 11, "shoulder_right": 12, "elbow_left": 13, "elbow_right": 14,
    "wrist_left": 15, "wrist_right": 16, "hip_left": 23, "hip_right": 24,
    "knee_left": 25, "knee_right": 26, "ankle_left": 27, "ankle_right": 28,
}  # fmt: skip
_HAND = {"left": (15, 17, 19, 21), "right": (16, 18, 20, 22)}
_FACE = tuple(range(11))  # nose, eyes, ears, mouth

# Which landmarks a garment needs in the frame: a top needs shoulders and hips, a skirt hips and knees.
REQUIRED = {
    "upper": ("shoulder", "hip"),
    "lower": ("hip", "knee"),
    "dress": ("shoulder", "hip"),  # the hem of a long dress may run out of the frame, as the body does
}
_MIN_VISIBILITY = 0.5
_MIN_REDNESS = 4  # YCrCb Cr above neutral (128) that skin always shows
# Below these a garment would be a few dozen pixels wide: not a believable result.
_MIN_SHOULDER_PX = 40
_MIN_HEIGHT_FRACTION = 0.25


class PersonError(ValueError):
    """The person photo cannot be used for try-on; the message says what is wrong and what would work."""


@dataclass
class Person:
    """One analysed person photo. Coordinates are pixels in ``image``."""

    image: np.ndarray  # HxWx3 uint8 RGB
    points: dict[str, np.ndarray]  # image-side names: shoulder_l, elbow_r, hip_l, knee_r, ankle_l, nose, ...
    visibility: dict[str, float]
    landmarks: np.ndarray  # 33x3: x, y in pixels and visibility, BlazePose order
    mask: np.ndarray  # HxW float32 in [0, 1]: the person
    skin: np.ndarray  # HxW bool: bare skin (face colour model inside the person)
    head: np.ndarray  # HxW bool: face and hair above the neck; always in front of a garment
    hands: np.ndarray  # HxW bool: skin around the hands; in front of a garment's body, behind nothing
    arms: np.ndarray  # HxW bool: arms outside the torso; in front of a garment's body, behind its sleeves

    @property
    def shoulder_width(self) -> float:
        return float(np.linalg.norm(self.points["shoulder_l"] - self.points["shoulder_r"]))

    @property
    def torso_length(self) -> float:
        shoulders = (self.points["shoulder_l"] + self.points["shoulder_r"]) / 2
        hips = (self.points["hip_l"] + self.points["hip_r"]) / 2
        return float(np.linalg.norm(hips - shoulders))


@contextmanager
def _quiet_stderr():
    """Silence file descriptor 2 (C++ libraries write there directly, past sys.stderr)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class PersonAnalyzer:
    """``analyzer(image_rgb, category) -> Person`` or ``PersonError``. Models come from the mediapipe package."""

    def __init__(self, pose, faces) -> None:
        self.pose = pose
        self.faces = faces
        self._found_once = False  # BlazePose logs one C++ line the first time it finds a body

    @classmethod
    def from_pretrained(cls) -> PersonAnalyzer:
        from weights import resolve

        resolve("mediapipe-pose")  # a clear error naming the package when mediapipe is missing
        import mediapipe as mp

        with _quiet_stderr():  # MediaPipe's C++ start-up lines (TFLite delegate, feedback manager) are not for users
            pose = mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1, enable_segmentation=True)
            faces = mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.6)
            blank = np.full((256, 256, 3), 128, np.uint8)
            pose.process(blank)  # the graphs log on their first run; do it here, once
            faces.process(blank)
        return cls(pose, faces)

    def count_faces(self, image: np.ndarray) -> int:
        found = self.faces.process(image).detections or []
        return len(found)

    def detect(self, image: np.ndarray):
        """BlazePose's raw result (landmarks and segmentation) or None when no person is found."""
        if self._found_once:
            result = self.pose.process(image)
        else:
            with _quiet_stderr():
                result = self.pose.process(image)
        self._found_once = self._found_once or result.pose_landmarks is not None
        return result if result.pose_landmarks is not None else None

    def shows_person(self, image: np.ndarray) -> bool:
        """Whether a photo shows a person wearing something (a model shot, a selfie), rather than a garment.

        BlazePose also "finds" bodies in flat garments (a black T-shirt is torso-shaped) and a face printed
        on a T-shirt is a face. A person needs a plausible body (shoulders at least an eighth of the frame
        wide, the nose well above them, the hips a torso's length below: ratios from real person photos)
        and a head: a detected face, or at least no backdrop where the nose should be (on a T-shirt the
        "nose" lands on the backdrop above the collar; a model cropped at the chin has it out of frame)."""
        result = self.detect(image)
        if result is None:
            return False
        height, width = image.shape[:2]
        lm = np.array([(p.x * width, p.y * height) for p in result.pose_landmarks.landmark])
        shoulders = float(np.linalg.norm(lm[11] - lm[12]))
        neck, pelvis = (lm[11] + lm[12]) / 2, (lm[23] + lm[24]) / 2
        torso = float(np.linalg.norm(pelvis - neck)) / max(shoulders, 1.0)
        nose_above = (neck[1] - lm[0][1]) / max(shoulders, 1.0)
        if not (shoulders > width / 8 and nose_above > 0.35 and 1.1 < torso < 2.3):
            return False
        return self.count_faces(image) > 0 or not _on_backdrop(image, lm[0])

    def __call__(self, image: np.ndarray, category: str) -> Person:
        height, width = image.shape[:2]
        result = self.detect(image)
        if result is None:
            raise PersonError("no person found in the photo; use a photo of one person facing the camera")
        faces = self.count_faces(image)
        if faces > 1:
            raise PersonError("several people are in the photo; crop it to the one person who tries the garment on")
        landmarks = np.array([(p.x * width, p.y * height, p.visibility) for p in result.pose_landmarks.landmark])
        mask = np.clip(result.segmentation_mask, 0, 1).astype(np.float32)
        _check_facing(landmarks, faces, mask)
        _check_upright(landmarks)
        points, visibility = _image_side_points(landmarks)
        _check_framing(points, visibility, category, width, height)
        _check_size(points, mask, height)
        _check_pose(points, mask)
        skin = skin_mask(image, landmarks, mask)
        return Person(
            image=image,
            points=points,
            visibility=visibility,
            landmarks=landmarks,
            mask=mask,
            skin=skin,
            head=head_mask(landmarks, mask, skin),
            hands=hand_mask(landmarks, skin, points),
            arms=arm_mask(mask > 0.5, points),
        )


def _on_backdrop(image: np.ndarray, point: np.ndarray) -> bool:
    """Whether ``point`` lies in the frame on the photo's backdrop (the median colour of its border)."""
    height, width = image.shape[:2]
    x, y = int(point[0]), int(point[1])
    if not (0 <= x < width and 0 <= y < height):
        return False
    frame = np.concatenate([image[:2].reshape(-1, 3), image[-2:].reshape(-1, 3), image[:, :2].reshape(-1, 3)])
    patch = image[max(y - 4, 0) : y + 5, max(x - 4, 0) : x + 5].reshape(-1, 3).astype(np.float32)
    return float(np.abs(patch.mean(axis=0) - np.median(frame, axis=0)).max()) < 12


def _check_upright(landmarks: np.ndarray) -> None:
    """Garments are drawn on an upright body: shoulders-to-hips must point down the picture (within 45°)."""
    down = landmarks[[23, 24], :2].mean(axis=0) - landmarks[[11, 12], :2].mean(axis=0)
    if down[1] <= abs(down[0]):
        raise PersonError("the person is not upright in the photo (sideways or upside down); rotate it first")


def _image_side_points(landmarks: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Name points by image side: the arm and leg chains whose shoulder and hip lie further left in the
    picture become "_l". Ordering by position, not by BlazePose's wearer labels, keeps a front view right
    even when those labels flip (it happens when the head is out of frame)."""
    points = {"nose": landmarks[0, :2], "mouth_l": landmarks[9, :2], "mouth_r": landmarks[10, :2]}
    visibility = {name: float(landmarks[i, 2]) for name, i in (("nose", 0), ("mouth_l", 9), ("mouth_r", 10))}
    for chain in (("shoulder", "elbow", "wrist"), ("hip", "knee", "ankle")):
        first = _WEARER[f"{chain[0]}_left"]
        left_is_image_left = landmarks[first, 0] < landmarks[_WEARER[f"{chain[0]}_right"], 0]
        for wearer_side in ("left", "right"):
            side = "l" if (wearer_side == "left") == left_is_image_left else "r"
            for part in chain:
                index = _WEARER[f"{part}_{wearer_side}"]
                points[f"{part}_{side}"] = landmarks[index, :2].astype(np.float32)
                visibility[f"{part}_{side}"] = float(landmarks[index, 2])
    return points, visibility


def _check_facing(landmarks: np.ndarray, faces: int, mask: np.ndarray) -> None:
    """A back view: BlazePose puts the wearer's left shoulder on the image left, and no face is found
    although the top of the head is in the frame (a photo cropped at the chin has no face either)."""
    left, right = landmarks[_WEARER["shoulder_left"]], landmarks[_WEARER["shoulder_right"]]
    rows = np.flatnonzero((mask > 0.5).any(axis=1))
    head_in_frame = rows.size > 0 and rows[0] > 0.01 * mask.shape[0]
    if faces == 0 and head_in_frame and left[0] < right[0]:
        raise PersonError("the person seems to face away from the camera; try-on needs a front view")


def _check_framing(points: dict, visibility: dict, category: str, width: int, height: int) -> None:
    for part in REQUIRED[category]:
        for side in ("l", "r"):
            name = f"{part}_{side}"
            x, y = points[name]
            inside = -0.02 * width <= x <= 1.02 * width and -0.02 * height <= y <= 1.02 * height
            if visibility[name] < _MIN_VISIBILITY or not inside:
                needed = " and ".join(f"{p}s" for p in REQUIRED[category])
                raise PersonError(
                    f"the body is cut off: a {category} garment needs the {needed} in the photo "
                    f"({name.replace('_l', ' (left)').replace('_r', ' (right)')} is not visible)"
                )


def _check_size(points: dict, mask: np.ndarray, height: int) -> None:
    shoulders = float(np.linalg.norm(points["shoulder_l"] - points["shoulder_r"]))
    rows = np.flatnonzero((mask > 0.5).any(axis=1))
    person_height = (rows[-1] - rows[0]) if rows.size else 0
    if shoulders < _MIN_SHOULDER_PX or person_height < _MIN_HEIGHT_FRACTION * height:
        raise PersonError(
            f"the person is too small in the photo (shoulders {shoulders:.0f} px wide); "
            "use a photo where they fill at least a quarter of the frame"
        )


def _check_pose(points: dict, mask: np.ndarray) -> None:
    """BlazePose sometimes puts both shoulders on one side of the body (seen with the head out of frame):
    the joints then span far less than the body's outline at their height, and any fit would be wrong."""
    centre = (points["shoulder_l"] + points["shoulder_r"]) / 2
    joints = float(np.linalg.norm(points["shoulder_l"] - points["shoulder_r"]))
    row = int(np.clip(centre[1] + 0.1 * joints, 0, mask.shape[0] - 1))
    inside = np.flatnonzero(mask[row] > 0.5)
    if inside.size == 0:
        return
    runs = np.split(inside, np.flatnonzero(np.diff(inside) > 1) + 1)
    run = min(runs, key=lambda r: np.abs(r - centre[0]).min())  # the body's run at that row
    if joints < 0.45 * (run[-1] - run[0] + 1):
        raise PersonError("could not find the body's pose reliably (the shoulders are unclear); use a photo "
                          "with the head, shoulders and hips in view")


def _polygon_mask(shape: tuple[int, int], points: np.ndarray) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(points.astype(np.int32)), 1)
    return mask.astype(bool)


def _disc_mask(shape: tuple[int, int], centres: np.ndarray, radius: int) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    for x, y in centres:
        cv2.circle(mask, (int(x), int(y)), radius, 1, -1)
    return mask.astype(bool)


def skin_mask(image: np.ndarray, landmarks: np.ndarray, person: np.ndarray) -> np.ndarray:
    """Pixels of the person whose colour matches the face's skin (a Gaussian in YCrCb's chroma plane).

    Only chroma is modelled so that shaded and lit skin both match; the face's inner region (eyes, nose,
    mouth landmarks) is skin on almost every photo, unlike the forehead (hair) or chin (beard)."""
    face = _polygon_mask(image.shape[:2], landmarks[list(_FACE), :2])
    if face.sum() < 30:  # head out of frame: the fingers are the next most reliable bare skin
        face = _disc_mask(image.shape[:2], landmarks[[17, 18, 19, 20], :2], radius=4)
    chroma = cv2.cvtColor(image, cv2.COLOR_RGB2YCrCb)[..., 1:].reshape(-1, 2).astype(np.float32)
    samples = chroma[face.reshape(-1)]
    if len(samples) < 30:
        return np.zeros(image.shape[:2], bool)
    mean = samples.mean(axis=0)
    cov = np.cov(samples.T) + np.eye(2) * 4.0  # a floor: a small face would give a needle-thin model
    inside = (person > 0.5).reshape(-1)  # only the person's pixels can be their skin
    diff = chroma[inside] - mean
    skin = np.zeros(inside.shape, bool)
    # Skin of every tone is a little red (Cr above neutral): grey and white fabric near a pale face's chroma is not.
    reddish = chroma[inside][:, 0] > 128 + _MIN_REDNESS
    skin[inside] = (np.einsum("ij,jk,ik->i", diff, np.linalg.inv(cov), diff) < 9.0) & reddish
    skin = skin.reshape(image.shape[:2])
    return cv2.morphologyEx(skin.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)).astype(bool)


def head_mask(landmarks: np.ndarray, person: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """Face, hair and neck: the person above a line between the mouth and the shoulders, and the bare neck
    inside a U below it, shaped like a crew neckline (it hides the back of a collar that a flat-lay
    shows, and gives every garment a neckline that follows the neck)."""
    mouth_y = landmarks[[9, 10], 1].mean()
    shoulder_y = landmarks[[11, 12], 1].mean()
    chin_y = int(max(mouth_y + 0.45 * (shoulder_y - mouth_y), 0))
    head = person > 0.5
    head[chin_y:] = False
    neck = np.zeros(head.shape, np.uint8)
    centre = (int(landmarks[[11, 12], 0].mean()), chin_y)
    axes = (int(0.2 * abs(landmarks[11, 0] - landmarks[12, 0])), int(max(shoulder_y - chin_y, 1)))
    cv2.ellipse(neck, centre, axes, 0, 0, 360, 1, -1)
    return head | (neck.astype(bool) & skin)


def hand_mask(landmarks: np.ndarray, skin: np.ndarray, points: dict[str, np.ndarray]) -> np.ndarray:
    """Skin within reach of each hand (wrist, palm and finger landmarks): hands stay in front of a garment."""
    reach = 0.35 * float(np.linalg.norm(points["shoulder_l"] - points["shoulder_r"]))
    centres = np.array([landmarks[list(indices), :2].mean(axis=0) for indices in _HAND.values()])
    return skin & _disc_mask(skin.shape, centres, int(reach))


def arm_mask(body: np.ndarray, points: dict[str, np.ndarray]) -> np.ndarray:
    """The person along each arm, from a third of the way down the upper arm (the shoulder cap belongs to
    the torso's garment) to the wrist, outside the shoulder-hip quadrilateral. Not only bare skin: a
    sleeve of the old clothing is an arm too, and it hangs in front of the new garment's body."""
    width = int(0.3 * float(np.linalg.norm(points["shoulder_l"] - points["shoulder_r"])))
    near = np.zeros(body.shape, np.uint8)
    for side in ("l", "r"):
        shoulder, elbow, wrist = (points[f"{part}_{side}"] for part in ("shoulder", "elbow", "wrist"))
        start = shoulder + 0.3 * (elbow - shoulder)
        for a, b in ((start, elbow), (elbow, wrist)):
            cv2.line(near, tuple(int(v) for v in a), tuple(int(v) for v in b), 1, max(width, 1))
    torso = _polygon_mask(body.shape, np.array([points[n] for n in ("shoulder_l", "shoulder_r", "hip_r", "hip_l")]))
    return body & near.astype(bool) & ~torso
