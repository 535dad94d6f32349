"""Every recording session of Cowley et al. 2023's macaque V4 data
(``cowleygroup/V4_compact_models``, folder ``data_V4_responses/``, pinned commit), as the
upstream readme and repository list them: animal, split, neurons, images and image types
per session, and a checksum per file. Files whose content was at hand here carry their
sha256; the others carry git's blob id (sha1 of ``blob <size>\\0<content>``), which the
repository's own tree states, so every download is checked against the pinned commit.

Sessions shown only natural images ("normal") are the ones the paper's question is asked
of; the others mix in synthesised stimuli, in an order the upstream data does not index.
"""

from __future__ import annotations

from dataclasses import dataclass

COMMIT = "f4552ad9d34a466ebc66658f72a08a8e5038f1cf"
BASE_URL = ("https://raw.githubusercontent.com/cowleygroup/V4_compact_models/"
            f"{COMMIT}/data_V4_responses")
CITATION = ("Cowley, Stan, Pillow & Smith 2023, Compact deep neural network models of "
            "visual cortex, bioRxiv (GPL-3.0 repository)")

# session animal split neurons images image-types (upstream readme's data table)
SESSIONS = """
190923 WE test 33 1200 normal (1,200)
190924 WE train 25 900 normal (600), active learning (300)
190925 WE train 36 900 normal (600), active learning (300)
190926 WE train 27 900 normal (600), active learning (300)
190927 WE train 31 900 normal (600), active learning (300)
190928 WE train 24 900 normal (600), active learning (300)
190929 WE train 33 900 normal (600), active learning (300)
201016 PE train 82 900 normal (300), gaudy (300)
201017 PE train 88 900 normal (300), active learning (300), gaudy (300)
201018 PE train 80 600 normal (600)
201019 PE train 82 1600 normal (800), active learning (400), gaudy (400)
201020 PE train 87 1600 normal (800), active learning (400), gaudy (400)
201021 PE train 88 1600 normal (800), active learning (400), gaudy (400)
201022 PE train 79 2000 normal (1,000), active learning (500), gaudy (500)
201023 PE train 86 2000 normal (1,000), active learning (500), gaudy (500)
201024 PE train 85 2000 normal (1,000), active learning (500), gaudy (500)
201025 PE test 89 1200 normal (1,200)
210224 PE validation 67 800 normal (800)
210225 PE test 55 1200 normal (1,200)
210226 PE train 78 1600 normal (600), maximizing (1,000)
210301 PE train 61 2000 maximizing (650), validation exps. (1,350)
210302 PE train 70 2000 maximizing (650), validation exps. (1,350)
210303 PE train 67 2049 maximizing (2,049)
210304 PE train 65 1968 maximizing (1,968)
210305 PE train 70 400 validation exps. (400)
210308 PE train 70 2000 normal (500), validation exps. (1,500)
210309 PE train 56 2000 normal (600), validation exps. (1,200), artificial (200)
210310 PE train 64 2000 normal (1,000), gaudy (1,000)
210312 PE train 81 2000 maximizing (2,000)
210315 PE train 65 2000 maximizing (2,000)
210316 PE train 62 2000 normal (1,000), gaudy (1,000)
210322 PE train 59 1200 normal (600), Bashivan et al., 2019 (600)
210323 PE train 59 1200 normal (600), gaudy (600)
210324 PE train 54 1200 normal (600), gaudy (600)
210325 PE test 50 640 Bashivan et al., 2019 (640)
210326 PE train 60 1200 normal (600), gaudy (600)
210620 RA train 42 1600 normal (1,600)
210621 RA train 51 1200 normal (1,200)
211008 RA train 21 1200 normal (1,200)
211012 RA train 51 2000 normal (1,000), gaudy (1,000)
211013 RA train 52 2000 normal (1,000), gaudy (1,000)
211014 RA train 46 2000 normal (1,000), gaudy (1,000)
211015 RA train 49 2000 normal (1,000), gaudy (1,000)
211018 RA train 56 3000 normal (1,500), gaudy (1,500)
211022 RA test 42 1600 normal (1,600)
211025 RA train 54 2000 normal (233), maximizing (150), gaudy (233), artificial (1,384)
211026 RA train 56 2000 normal (660), validation exps. (840), active learning (250), gaudy (250)
211027 RA train 56 2000 normal (240), validation exps. (1,260), active learning (250), gaudy (250)
211028 RA train 55 2000 normal (660), validation exps. (840), active learning (250), gaudy (250)
211103 RA train 49 3000 normal (750), maximizing (750), active learning (750), gaudy (750)
"""
FILES = {
    "images/images_190923.zip":
        "sha256:e99a4df1c7476bdc4d565ff4408bc421976ecc3a22c41af6bfd0cfbddb508c0c",
    "responses_repeat_averaged/responses_190923.npy":
        "sha256:741672d36541ce39930c8a3b5bd1cfd33c187aa47b1549c9c5569bc21aa97a28",
    "images/images_190924.zip":
        "gitblob:ff8c67a6ad38cfed87960bfb147ec682a842558c",
    "responses_repeat_averaged/responses_190924.npy":
        "sha256:1a39ad365f73ece0f6890f2cb48115a2bb0a75b82190e3782ad2b77c41bf020d",
    "images/images_190925.zip":
        "sha256:765b4d4372302d4ed72c3382d41ece5ca55d7dcc3d84da7402091253529b87d1",
    "responses_repeat_averaged/responses_190925.npy":
        "sha256:2f94d7bcef0f68fecdb7472f509737fafac92477cf6b11a4966162b1b1072529",
    "images/images_190926.zip":
        "gitblob:68a869590ab9b23a6678d0740a74bf4371344a27",
    "responses_repeat_averaged/responses_190926.npy":
        "sha256:fe380cf96b7262d0af039e4872c6f33c68dcea96344eabc5934acc0af1db0417",
    "images/images_190927.zip":
        "sha256:d2469cc2caa629d4ed38e8d4964fb1de8c0b29e9937c25ce1c5838bc4e382653",
    "responses_repeat_averaged/responses_190927.npy":
        "sha256:4c3c75ec72bc4bd3f0e22987a7b2e7e962af249d6577e8a6d727ea9075bde034",
    "images/images_190928.zip":
        "sha256:6d90fdf2341e038beb57c16ce85f48c3a2bdfd450bc1c6440489529aead0f161",
    "responses_repeat_averaged/responses_190928.npy":
        "sha256:41707e2d31ace45da6d181ad28a91c299971d42430c91cc738602523e7d7eda6",
    "images/images_190929.zip":
        "sha256:7fea6a28c092acfa646145813f532b2ea1d5a22a0b1bdade47d392b8f6bfb3f0",
    "responses_repeat_averaged/responses_190929.npy":
        "sha256:18639c9e2b2baed54c4fb22e311d84dafbd986a12069370b1004880a721d2c4a",
    "responses_repeat_averaged/responses_201016.npy":
        "sha256:fa2b653eae8bbebc1c320e3e9d8c746699713e79dcba4fde22ecd75788d452f8",
    "responses_repeat_averaged/responses_201017.npy":
        "sha256:5e92809cfce031ffe9c2e228831ee89d48a1b63f4e6b22272952e547faba3222",
    "responses_repeat_averaged/responses_201018.npy":
        "sha256:21b24ea9edb4f2c70e064ec772f25fbd91686062b55f90e433b20a5f3930a105",
    "responses_repeat_averaged/responses_201019.npy":
        "sha256:c03108b8b9e145dc9ce636b478a083c40d46c7426acbb6606ad974dc8a9bfadf",
    "responses_repeat_averaged/responses_201020.npy":
        "sha256:5dedc8b28da166aba9a8b8c5c4056fc8b5141e56558e9444161909d4465ae17f",
    "images/images_201021.zip":
        "gitblob:5d73af400d0e14f9548e8503015949dff619c184",
    "responses_repeat_averaged/responses_201021.npy":
        "sha256:043cf4f11bf43144a487325779d4c06fa6b15c4fba677783c63a1c9e39d8d722",
    "images/images_201022.zip":
        "gitblob:349d8be0656761a8fd9a50a409f4beb2ae27d40b",
    "responses_repeat_averaged/responses_201022.npy":
        "sha256:88e3716a51f610d7c27708ec77575dab9f6586f5f7d1257b9d2a8884e19ee50a",
    "images/images_201023.zip":
        "gitblob:c4df51c8ab5eab0ed2f785f14d7f594b66bdf86e",
    "responses_repeat_averaged/responses_201023.npy":
        "sha256:30470f693f4def636d9702ae768260e2901d6769dd67f9dae564db44b3b0d21c",
    "images/images_201024.zip":
        "gitblob:f43ceecb9a251e57e90d3bb11dfc4f3e1ba47144",
    "responses_repeat_averaged/responses_201024.npy":
        "sha256:4c63e05fcf31aa7e52f0e80ecabe8c13519650b781765a66c94d24fb3efac90b",
    "images/images_201025.zip":
        "sha256:3abb63679107665eab7220bdeaf7863832a1df943bf3d7792501f5082a55b2e8",
    "responses_repeat_averaged/responses_201025.npy":
        "sha256:f729f3dc0d29aa38bd380c0da9e39aba916f9e2580949929b65d1714e7217a8a",
    "images/images_210224.zip":
        "sha256:e2690810bee34c2e2821e5dd504c7970f3441579bc57659f27d2c11678b52c6b",
    "responses_repeat_averaged/responses_210224.npy":
        "sha256:4dbb7367707a5ca47ab4cea863bbf4e9765b8409cb30216693721bddfad7abfe",
    "images/images_210225.zip":
        "sha256:79bfb1066949a7f7bbd3c632ab420c2230b966b80cade76593d8745aea49b7f6",
    "responses_repeat_averaged/responses_210225.npy":
        "sha256:853f196247504fa2526b507f56ee5237711ed166f295f7cb23ec5441a7bf789b",
    "images/images_210226.zip":
        "gitblob:e5238ee1534dc6626cd3831f5408303e9ad4aaed",
    "responses_repeat_averaged/responses_210226.npy":
        "sha256:6d21db026b823312c47d3601b9569a7dfd2c9ae69be7c8f3d6f93c406d3e1ddf",
    "images/images_210301.zip":
        "gitblob:a98c0056a433b6f91608af117c4f3f43edf773ee",
    "responses_repeat_averaged/responses_210301.npy":
        "sha256:5b16307b8f6fc1b8ddc213c010bbc9929eef3814af4762f87fcda23d09752c88",
    "images/images_210302.zip":
        "gitblob:4e5cd1472dbf16f4d87f700ce429b52b5f668f5c",
    "responses_repeat_averaged/responses_210302.npy":
        "sha256:9ddf45d3a9508a6ee907b9ea5b32df1b5a480c86fbaf1661f80f198b44398c12",
    "images/images_210303.zip":
        "gitblob:da9cc9fee8fb01f263458ea0eaa673c8d35677da",
    "responses_repeat_averaged/responses_210303.npy":
        "sha256:20c2f98a1d217914db7357e36e850facf0d62f1cf00a1134cfa7bc8b9d641559",
    "images/images_210304.zip":
        "gitblob:9111c3b72176d3a2a15ec97503910f5477a7cd74",
    "responses_repeat_averaged/responses_210304.npy":
        "sha256:93c6946d0f2a8240dbff5fbf23b552ff9b0b8db101f23d7d96dedb011a5326f9",
    "images/images_210305.zip":
        "sha256:9fab651e9c2d0b44091c2ea238c78d68fedf573cd7d4ae6b0545c5d84c121776",
    "responses_repeat_averaged/responses_210305.npy":
        "sha256:00dce8d39558bfc3f5dd55c6f678c05de1b63895d56193379fd7dfe41fc703f0",
    "images/images_210308.zip":
        "gitblob:e402cac54c6459364edc748fdf4215476f49e1f4",
    "responses_repeat_averaged/responses_210308.npy":
        "sha256:b1a8f2f59892987e16c1d6f369c07ec0edb7e2d9b27bbefc2db9ebeba20f0e21",
    "images/images_210309.zip":
        "gitblob:4dc0efae7aea067e14e5eb16e3d2fa2085284a52",
    "responses_repeat_averaged/responses_210309.npy":
        "sha256:6c5085ff0a72077cd9c102c6017b0b6dc08a501bde6e656fd72f5b59dd5f1596",
    "images/images_210310.zip":
        "gitblob:19f426d112115f03bf315bb478156e9c12d66a06",
    "responses_repeat_averaged/responses_210310.npy":
        "sha256:125769bbb422ce5b6a302da41b526c63ef96160620294855524b5e0fecbe26a9",
    "images/images_210312.zip":
        "gitblob:5bf63b9786b3dfc3f8e233c922126374f0446a25",
    "responses_repeat_averaged/responses_210312.npy":
        "sha256:4ddecaa396c3d92d458c8de15f126f4a19b47f64a31119097aa99ab1eafcc2fd",
    "images/images_210315.zip":
        "gitblob:5bf63b9786b3dfc3f8e233c922126374f0446a25",
    "responses_repeat_averaged/responses_210315.npy":
        "sha256:9731fd7db5257c11bfb02d94e52774ff2a0fc5bcfbbcd15ffb3e5ebd6f68fc3d",
    "images/images_210316.zip":
        "gitblob:2f7161c920c054b67bec5608af666add39be23ba",
    "responses_repeat_averaged/responses_210316.npy":
        "sha256:a4ce10039b2b3a5f0eba8e82b2d62dca9d26279f4aeaf622851980d224a4b1fe",
    "images/images_210322.zip":
        "sha256:a72f357c73381fc6e496403820b38abe38c78b92f6d1c0b7153d6fe6d3986c32",
    "responses_repeat_averaged/responses_210322.npy":
        "sha256:1d643594633c7ad6d5281147bf1742275135507c8b283550e00e7028c65a5373",
    "images/images_210323.zip":
        "gitblob:2d97072ebfe2935d30a7538aab753110fc48586a",
    "responses_repeat_averaged/responses_210323.npy":
        "sha256:96b7f4eefc6e61d5f15740453550e94ba06b1ac56a2f79ef9969effe8f220cb3",
    "images/images_210324.zip":
        "gitblob:daebc33adae3fb8c4c838164a5315dff4117bf3d",
    "responses_repeat_averaged/responses_210324.npy":
        "sha256:b00f23305b5ef8c0817046697ec125f4d0c14c59b675f0d76f66721e3d0ccef3",
    "images/images_210325.zip":
        "sha256:992774eca3508a2ad01accb1a31f5f3e3d90248c49f4eec314f2a915a263e454",
    "responses_repeat_averaged/responses_210325.npy":
        "sha256:555e67037182611969ab90da291dcc39601de4411f651a64ad60e90572cf59d3",
    "images/images_210326.zip":
        "gitblob:3ad0ecb66444f81e583fc879160299c0f0cff016",
    "responses_repeat_averaged/responses_210326.npy":
        "sha256:d8bfc77cebc112dbb05593330ccfe66149f1ee8c37c5f4094989399860874f04",
    "images/images_210620.zip":
        "gitblob:4905aeadc8e9ac3fe4bf282b6e17b6a1f01d31a6",
    "responses_repeat_averaged/responses_210620.npy":
        "sha256:b68afcfd91b420e6a6217c18fab5966834c46650bb0c74107dd64f90e4065d06",
    "images/images_210621.zip":
        "sha256:aff4d1639a04fb0d964ee09f8e76b07707e8435283c8e0ea47b0fd398ffcc233",
    "responses_repeat_averaged/responses_210621.npy":
        "sha256:28e57e8eefe774b455087a62f039931b9547b2300908a0af85eee5baa49aa1ba",
    "images/images_211008.zip":
        "gitblob:1f6f34faaea847086c79165c222ea0ed1a90d631",
    "responses_repeat_averaged/responses_211008.npy":
        "sha256:279c5130b5d3bff2bfbdbbea496efdad8a3914169646d2daefebef5e9bee8a2b",
    "images/images_211012.zip":
        "gitblob:c33d809d3f1b0430e61322ab913fc75d81617ba9",
    "responses_repeat_averaged/responses_211012.npy":
        "sha256:75cf0b06a523028c36211daddd9c49231adaf0a3daddd31fca41916e082803fb",
    "images/images_211013.zip":
        "gitblob:827a1e28ea88b8ddfe6971caa9b0fd3a6cdc2916",
    "responses_repeat_averaged/responses_211013.npy":
        "sha256:7a99f10c2049ed8c6345310b9a49566dd72decdfd1d94f15afd0ef8159859563",
    "images/images_211014.zip":
        "gitblob:f8d5be9f744e21f5c79a1a19b5b2cd60d05b6ab7",
    "responses_repeat_averaged/responses_211014.npy":
        "sha256:c87c5bb597acf7965472e9a964a6f40ddbc2fd46ca8ca8ae6073254174b3a8ce",
    "images/images_211015.zip":
        "gitblob:7ff6b1a831b858c0a44e3ff2a3a1809070476f33",
    "responses_repeat_averaged/responses_211015.npy":
        "sha256:92f95e94c8a7ae583fe779065b9e5c1c722f979e56f64d4d7049473da0f49656",
    "images/images_211018.zip":
        "gitblob:308d92fe7e38e71bc3b591410ca9cb9347052758",
    "responses_repeat_averaged/responses_211018.npy":
        "sha256:3c2af5dae76bada6f2cc21f550a3151d9e07eade2c07995375b4e3a65fd7e385",
    "images/images_211022.zip":
        "gitblob:463714f32c6d75c1cbb32f61f49a18d8d95d63d9",
    "responses_repeat_averaged/responses_211022.npy":
        "sha256:17beafcc19018f4a0833b41deb2bc25636328461e4bdc08b4d0e1fde46f7e146",
    "images/images_211025.zip":
        "gitblob:cb8cd48a0e9f930cb2b54d0a0f6a0a019b6fca14",
    "responses_repeat_averaged/responses_211025.npy":
        "sha256:9d91c98f0115ffac1268d335b516460c82b0ba53f22ab99e97a2f70361aed335",
    "images/images_211026.zip":
        "gitblob:8f213c34d6eb2bcf8a97991fa8e8cc68e9fac8b3",
    "responses_repeat_averaged/responses_211026.npy":
        "sha256:1a7a1aaaf56df17aa6fedd42b44cc4005950ce7004a3474f091ce93b1c54885b",
    "images/images_211027.zip":
        "gitblob:b6415fcd37bae557836f83421e72ab11545e8625",
    "responses_repeat_averaged/responses_211027.npy":
        "sha256:a6f7bbde8196d94b653996bedcf73ae62c5402a0f84755afcd134fa6c4511f20",
    "images/images_211028.zip":
        "gitblob:7a09ed95f98affb2da79e38a80807455a5ad5238",
    "responses_repeat_averaged/responses_211028.npy":
        "sha256:3fe02b04445ddb9e9ad340323d8564519d74261106a57419ef94341c9d260bcc",
    "images/images_211103.zip":
        "gitblob:29ee220f5a9c586aca215185d8426f200cc662c2",
    "responses_repeat_averaged/responses_211103.npy":
        "sha256:df28097614478b915ea6f2a083f0795dd639f45a84656862555f2708f2f12045",
}


@dataclass(frozen=True)
class Session:
    session: str
    animal: str
    split: str
    neurons: int
    images: int
    image_types: str

    @property
    def natural_only(self) -> bool:
        """Every image a natural one (the readme's "normal")."""
        return self.image_types == f"normal ({self.images:,})"

    @property
    def files(self) -> tuple[str, str]:
        """The stimulus zip and the repeat-averaged responses, as paths under the dataset."""
        return (f"images/images_{self.session}.zip",
                f"responses_repeat_averaged/responses_{self.session}.npy")

    @property
    def downloadable(self) -> bool:
        return all(f in FILES for f in self.files)


def _sessions() -> dict[str, Session]:
    out = {}
    for line in SESSIONS.strip().splitlines():
        session, animal, split, neurons, images, types = line.split(" ", 5)
        out[session] = Session(session, animal, split, int(neurons), int(images), types)
    return out


SESSION_TABLE = _sessions()


def natural_sessions() -> list[Session]:
    """The sessions of natural images alone whose stimuli are upstream."""
    return [s for s in SESSION_TABLE.values() if s.natural_only and s.downloadable]
