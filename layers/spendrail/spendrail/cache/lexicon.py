"""The word lists behind the cache guards (`guards.py`): closed lists, relation words, negations, number words.

Every entry is written as a shopper would type it; `guards.py` folds and tokenizes it the way it tokenizes a
question, so "x-large", "women's" and "3XL" are written here as they are. Lists are deliberately broad and general
(every colour, country or payment method a store may be asked about), never phrases from any evaluation set.

Shapes:
- `LISTS`: category -> canonical value -> synonyms. Two questions must name the same set of values in every category
  (like numbers): "in red" / "in blue" differ, so do "in red" / "in any colour".
- `RELATIONS`: class -> value -> synonyms. Two questions differ only when both name a value of the class and they
  share none: "over $50" / "under $50" differ, "over $50" / "from $50" do not.
- `CONDITIONAL`: entries that count only in context ("may" is a month only as "in May", "May 5"; "over" is a
  comparison only before a number).
- `NEGATIONS` count as one negation each; `NEUTRAL` phrases consume their words and mean nothing to the guards
  ("no problem", "used to", "whether or not").
"""

from __future__ import annotations

from typing import Final

# ---------------------------------------------------------------------------------------------------------------
# Closed lists: compared like numbers

_COLOUR_BASES: Final = (
    "black", "white", "red", "blue", "green", "yellow", "orange", "purple", "pink", "brown", "grey", "beige",
    "navy", "teal", "turquoise", "maroon", "burgundy", "olive", "khaki", "tan", "ivory", "gold", "silver",
    "charcoal", "lavender", "lilac", "mint", "coral", "peach", "mustard", "magenta", "fuchsia", "cyan", "indigo",
    "violet", "aqua", "lime", "sage", "cobalt", "crimson", "scarlet", "plum", "mauve", "taupe", "blush", "nude",
    "camel", "bronze", "copper", "champagne", "graphite", "slate", "emerald", "ruby", "sapphire", "jade",
    "rose gold", "space grey", "offwhite", "multicolour", "transparent", "blonde", "brunette", "auburn",
)  # fmt: skip
_COLOUR_SYNONYMS: Final = {
    "grey": "gray",
    "navy": "navy blue",
    "olive": "olive green",
    "ivory": "eggshell",
    "gold": "golden",
    "mint": "mint green",
    "lime": "lime green",
    "sage": "sage green",
    "emerald": "emerald green",
    "space grey": "space gray",
    "multicolour": "multicolor|multicoloured|multicolored|multi colour|multi color|rainbow",
    "transparent": "see through|see-through",
    "blonde": "blond",
    "light blue": "sky blue|baby blue|pale blue|powder blue",
    "dark blue": "royal blue|midnight blue",
    "dark green": "forest green|bottle green|hunter green",
    "light grey": "light gray|silver grey|silver gray",
    "dark grey": "dark gray|charcoal grey|charcoal gray",
    "dark brown": "chocolate brown",
}
_COLOUR_SHADES: Final = ("light", "dark", "pale", "bright", "deep", "neon", "pastel", "dusty", "hot")
_SHADED: Final = ("blue", "green", "grey", "pink", "brown", "red", "purple", "yellow", "orange")

SIZES: Final = {
    "xxs": "2xs|xx-small|xx small|extra extra small",
    "xs": "x-small|x small|extra small",
    "small": "",
    "medium": "",
    "large": "",
    "xl": "x-large|x large|extra large|1xl",
    "xxl": "2xl|xx-large|xx large|extra extra large",
    "xxxl": "3xl|xxx-large|xxx large",
    "4xl": "xxxxl",
    "5xl": "xxxxxl",
    "petite": "petites",
    "plus size": "plus sizes|plus-size|plus sized|curvy|extended sizes|extended size|extended sizing",
    "tall": "tall sizes|tall size|tall fit",
    "big and tall": "big & tall",
    "one size": "one-size|one size fits all|one-size-fits-all",
    "king": "king size|king-size|kingsize",
    "california king": "cal king",
    "queen": "queen size|queen-size",
    "twin": "twin size|twin xl",
    "wide": "wide fit|wide width|extra wide|wide feet|wide sizes|wide size",
    "narrow": "narrow fit|narrow width|narrow feet",
}

AUDIENCES: Final = {
    "men": "mens|man|male|males|gents|gentlemen|husband|boyfriend|dad|father|grandpa|grandfather|brother",
    "women": "womens|woman|ladies|lady|female|females|wife|girlfriend|mom|mum|mother|grandma|grandmother|sister",
    "kids": "kid|children|child|childrens|youth|junior|juniors|little ones",
    "boys": "boy|son|sons",
    "girls": "girl|daughter|daughters",
    "baby": "babies|infant|infants|newborn|newborns",
    "toddler": "toddlers",
    "teen": "teens|teenager|teenagers|tween|tweens",
    "adult": "adults|grown up|grown-up|grown ups|grownups",
    "unisex": "gender neutral|gender-neutral",
    "senior": "seniors|elderly",
    "maternity": "pregnant|pregnancy|nursing",
    "dog": "dogs|puppy|puppies|canine",
    "cat": "cats|kitten|kittens|feline",
    "bird": "birds|parrot|parrots",
    "rabbit": "rabbits|bunny|bunnies",
    "horse": "horses",
}

MATERIALS: Final = {
    "cotton": "cotton blend",
    "organic cotton": "",
    "wool": "woollen|woolen|wool blend",
    "merino": "merino wool",
    "cashmere": "",
    "alpaca": "",
    "mohair": "",
    "silk": "",
    "linen": "",
    "leather": "genuine leather|real leather|full grain leather|full-grain leather",
    "faux leather": "vegan leather|pu leather|pleather|synthetic leather|leatherette|fake leather",
    "suede": "",
    "faux suede": "",
    "faux fur": "fake fur",
    "fur": "real fur",
    "denim": "",
    "polyester": "",
    "nylon": "",
    "spandex": "elastane|lycra",
    "rayon": "viscose",
    "acrylic": "",
    "fleece": "",
    "velvet": "velour",
    "satin": "",
    "canvas": "",
    "bamboo": "",
    "hemp": "",
    "jute": "",
    "plastic": "",
    "metal": "",
    "stainless steel": "stainless|steel",
    "carbon steel": "",
    "aluminium": "aluminum",
    "titanium": "",
    "cast iron": "cast-iron|wrought iron",
    "brass": "",
    "platinum": "",
    "sterling silver": "",
    "tungsten": "",
    "wood": "wooden|solid wood",
    "oak": "",
    "pine": "",
    "walnut": "",
    "teak": "",
    "maple": "",
    "mahogany": "",
    "cedar": "",
    "mdf": "particleboard|particle board",
    "plywood": "",
    "glass": "tempered glass",
    "ceramic": "ceramics",
    "porcelain": "",
    "stoneware": "",
    "rubber": "",
    "silicone": "",
    "latex": "",
    "foam": "",
    "memory foam": "",
    "down fill": "goose down|duck down|down filled|down-filled|down feather",
    "feather": "feathers",
    "marble": "",
    "granite": "",
    "quartz": "",
    "concrete": "",
    "paper": "",
    "cardboard": "",
    "vinyl": "pvc",
    "resin": "epoxy",
    "carbon fibre": "carbon fiber",
    "fiberglass": "fibreglass",
    "gore-tex": "goretex",
    "tweed": "",
    "corduroy": "",
    "chiffon": "",
    "lace": "",
    "mesh": "",
    "microfibre": "microfiber",
    "sherpa": "",
    "neoprene": "",
    "cork": "",
    "rattan": "wicker",
    "veneer": "wood veneer",
    "laminate": "laminated",
    "clay": "",
}

# Model variants and plan tiers: "ZX-500" and "ZX-500 Pro" are different products.
VARIANTS: Final = {
    "pro": "",
    "ultra": "",
    "lite": "light edition",
    "deluxe": "",
    "mini": "",
    "limited edition": "",
    "special edition": "",
    "collector's edition": "collectors edition",
    "anniversary edition": "",
}

_WEEKDAYS: Final = {
    "monday": "mon",
    "tuesday": "tue|tues",
    "wednesday": "wed",
    "thursday": "thu|thur|thurs",
    "friday": "fri",
    "saturday": "",
    "sunday": "",
}
_MONTHS: Final = {
    "january": "jan",
    "february": "feb",
    "march": "",
    "april": "apr",
    "june": "jun",
    "july": "jul",
    "august": "aug",
    "september": "sept|sep",
    "october": "oct",
    "november": "nov",
    "december": "dec",
}
TIME: Final = {
    "today": "",
    "tonight": "",
    "tomorrow": "tmrw|tmr|day after tomorrow",
    "yesterday": "",
    "weekend": "weekends|saturdays and sundays|saturday and sunday|sat and sun",
    "weekday": "weekdays|monday to friday|monday through friday|monday thru friday|monday-friday|mon to fri|"
    "mon-fri|mon through fri",
    "morning": "mornings",
    "afternoon": "afternoons",
    "evening": "evenings",
    "night": "nights",
    "noon": "midday|lunchtime|lunch time",
    "midnight": "",
    "spring": "",
    "summer": "",
    "autumn": "",
    "winter": "",
    "holiday": "holidays|holiday season|public holiday|public holidays|bank holiday|bank holidays|"
    "federal holiday|federal holidays|national holiday|national holidays",
    "christmas": "xmas|x-mas|christmas day|christmastime",
    "christmas eve": "",
    "boxing day": "",
    "new year": "new years|new year's day|new years day",
    "new year's eve": "new years eve|nye",
    "thanksgiving": "thanksgiving day",
    "black friday": "",
    "cyber monday": "",
    "easter": "easter sunday",
    "good friday": "",
    "easter monday": "",
    "halloween": "",
    "valentine's day": "valentines day|valentine's|valentines|valentine",
    "mother's day": "mothers day|mother day",
    "father's day": "fathers day|father day",
    "independence day": "4th of july|fourth of july|july 4th|july fourth|july 4",
    # fixed-date holidays written as dates: "December 25th" is Christmas Day
    "labor day": "labour day",
    "memorial day": "",
    "veterans day": "veteran's day",
    "presidents day": "president's day|presidents' day",
    "mlk day": "martin luther king day",
    "juneteenth": "",
    "columbus day": "indigenous peoples day",
    "canada day": "",
    "australia day": "",
    "bastille day": "",
    "st patrick's day": "st. patrick's day|saint patrick's day|st patricks day|st paddy's day",
    "hanukkah": "chanukah|hanukah",
    "diwali": "deepavali",
    "eid": "eid al-fitr|eid al fitr|eid al-adha|eid al adha",
    "ramadan": "",
    "lunar new year": "chinese new year",
    "passover": "",
    "rosh hashanah": "",
    "yom kippur": "",
    "kwanzaa": "",
    "prime day": "",
    "singles day": "singles' day",
    "back to school": "back-to-school",
}

_COUNTRIES: Final = (
    "afghanistan", "albania", "algeria", "andorra", "angola", "argentina", "armenia", "australia", "austria",
    "azerbaijan", "bahamas", "bahrain", "bangladesh", "barbados", "belarus", "belgium", "belize", "benin", "bhutan",
    "bolivia", "bosnia", "botswana", "brazil", "brunei", "bulgaria", "burkina faso", "burundi", "cambodia",
    "cameroon", "canada", "cape verde", "chile", "china", "colombia", "congo", "costa rica", "croatia", "cuba",
    "cyprus", "denmark", "djibouti", "dominica", "dominican republic", "ecuador", "egypt", "el salvador", "eritrea",
    "estonia", "eswatini", "ethiopia", "fiji", "finland", "france", "gabon", "gambia", "georgia", "germany", "ghana",
    "greece", "grenada", "guatemala", "guyana", "haiti", "honduras", "hungary", "iceland", "india", "indonesia",
    "iran", "iraq", "ireland", "israel", "italy", "jamaica", "japan", "kazakhstan", "kenya", "kosovo", "kuwait",
    "kyrgyzstan", "laos", "latvia", "lebanon", "lesotho", "liberia", "libya", "liechtenstein", "lithuania",
    "luxembourg", "madagascar", "malawi", "malaysia", "maldives", "mali", "malta", "mauritania", "mauritius",
    "mexico", "moldova", "monaco", "mongolia", "montenegro", "morocco", "mozambique", "myanmar", "namibia", "nepal",
    "new zealand", "nicaragua", "nigeria", "north korea", "north macedonia", "norway", "oman", "pakistan", "panama",
    "papua new guinea", "paraguay", "peru", "philippines", "poland", "portugal", "qatar", "romania", "russia",
    "rwanda", "samoa", "san marino", "saudi arabia", "senegal", "serbia", "seychelles", "sierra leone", "singapore",
    "slovakia", "slovenia", "somalia", "south africa", "south korea", "south sudan", "spain", "sri lanka", "sudan",
    "suriname", "sweden", "switzerland", "syria", "taiwan", "tajikistan", "tanzania", "thailand", "togo", "tonga",
    "trinidad", "tunisia", "turkey", "turkmenistan", "uganda", "ukraine", "uruguay", "uzbekistan", "vanuatu",
    "vatican", "venezuela", "vietnam", "yemen", "zambia", "zimbabwe", "greenland", "faroe islands", "gibraltar",
    "bermuda", "cayman islands", "aruba", "curacao", "martinique", "guadeloupe", "new caledonia",
    "french polynesia", "macau", "hong kong",
)  # fmt: skip
_US_STATES: Final = (
    "alabama", "alaska", "arizona", "arkansas", "california", "colorado", "connecticut", "delaware", "florida",
    "hawaii", "idaho", "illinois", "indiana", "iowa", "kansas", "kentucky", "louisiana", "maine", "maryland",
    "massachusetts", "michigan", "minnesota", "mississippi", "missouri", "montana", "nebraska", "nevada",
    "new hampshire", "new jersey", "new mexico", "new york", "north carolina", "north dakota", "ohio", "oklahoma",
    "oregon", "pennsylvania", "rhode island", "south carolina", "south dakota", "tennessee", "texas", "utah",
    "vermont", "virginia", "washington", "west virginia", "wisconsin", "wyoming", "puerto rico", "guam",
    "virgin islands", "american samoa", "washington dc", "district of columbia",
)  # fmt: skip
_PROVINCES: Final = (
    "ontario", "quebec", "british columbia", "alberta", "manitoba", "saskatchewan", "nova scotia", "new brunswick",
    "newfoundland", "prince edward island", "yukon", "nunavut", "northwest territories", "tasmania", "queensland",
    "new south wales", "victoria", "western australia", "south australia", "scotland", "wales", "northern ireland",
    "england", "bavaria", "catalonia", "sicily", "sardinia", "corsica", "canary islands", "balearic islands",
    "azores", "madeira",
)  # fmt: skip
_CITIES: Final = (
    "london", "paris", "berlin", "madrid", "rome", "milan", "amsterdam", "dublin", "toronto", "vancouver", "montreal",
    "calgary", "ottawa", "sydney", "melbourne", "brisbane", "perth", "auckland", "tokyo", "osaka", "seoul",
    "beijing", "shanghai", "shenzhen", "mumbai", "delhi", "new delhi", "bangalore", "chennai", "kolkata", "dubai",
    "abu dhabi", "riyadh", "doha", "istanbul", "tel aviv", "cairo", "lagos", "nairobi", "johannesburg", "cape town",
    "bangkok", "manila", "jakarta", "kuala lumpur", "hanoi", "ho chi minh city", "taipei", "mexico city",
    "sao paulo", "rio de janeiro", "buenos aires", "lima", "bogota", "santiago", "new york city",
    "los angeles", "chicago", "houston", "dallas", "san antonio", "san diego", "san francisco", "san jose",
    "seattle", "portland", "boston", "miami", "orlando", "tampa", "atlanta", "denver", "phoenix", "las vegas",
    "philadelphia", "detroit", "minneapolis", "nashville", "new orleans", "salt lake city", "brooklyn", "manhattan",
    "manchester", "birmingham", "liverpool", "leeds", "glasgow", "edinburgh", "cardiff", "belfast", "bristol",
    "munich", "frankfurt", "hamburg", "vienna", "zurich", "geneva", "brussels", "antwerp", "copenhagen",
    "stockholm", "oslo", "helsinki", "lisbon", "porto", "barcelona", "valencia", "seville", "prague", "warsaw",
    "krakow", "budapest", "athens", "bucharest", "sofia", "zagreb", "kyiv", "moscow", "marseille", "lyon",
    "florence", "venice", "naples", "rotterdam",
)  # fmt: skip
_PLACE_SYNONYMS: Final = {
    "us": "usa|u.s.|u.s.a.|united states|united states of america|america|stateside|continental us|"
    "lower 48|contiguous us",
    "uk": "u.k.|united kingdom|great britain|britain",
    "europe": "eu|european union|e.u.",
    "netherlands": "holland",
    "south korea": "korea",
    "czechia": "czech republic",
    "ivory coast": "cote d'ivoire",
    "uae": "united arab emirates|emirates",
    "bosnia": "bosnia and herzegovina",
    "trinidad": "trinidad and tobago",
    "vatican": "vatican city",
    "myanmar": "burma",
    "eswatini": "swaziland",
    "new york city": "nyc",
    "washington dc": "d.c.|dc",
    "po box": "p.o. box|po boxes|p.o. boxes|post office box|post office boxes",
    "military address": "military addresses",
}
_REGIONS: Final = (
    "asia", "africa", "south america", "north america", "central america", "latin america", "middle east",
    "oceania", "scandinavia", "nordics", "caribbean", "balkans", "baltics", "southeast asia", "east asia",
    "eastern europe", "western europe", "mainland", "po box", "apo", "fpo", "military address",
)  # fmt: skip
_LANGUAGES: Final = {
    "english": "",
    "spanish": "espanol|español",
    "french": "francais|français",
    "german": "deutsch",
    "italian": "",
    "portuguese": "",
    "dutch": "",
    "swedish": "",
    "norwegian": "",
    "danish": "",
    "finnish": "",
    "polish": "",
    "russian": "",
    "ukrainian": "",
    "greek": "",
    "turkish": "",
    "arabic": "",
    "hebrew": "",
    "hindi": "",
    "bengali": "",
    "urdu": "",
    "chinese": "mandarin|cantonese",
    "japanese": "",
    "korean": "",
    "vietnamese": "",
    "thai": "",
    "indonesian": "",
    "tagalog": "filipino",
}
# Demonyms that are no language name their country: "Canadian addresses" is about Canada.
_DEMONYMS: Final = {
    "canada": "canadian",
    "us": "american",
    "uk": "british",
    "australia": "australian",
    "mexico": "mexican",
    "europe": "european",
    "ireland": "irish",
    "scotland": "scottish",
    "india": "indian",
    "brazil": "brazilian",
    "new zealand": "kiwi",
}

PAYMENTS: Final = {
    "paypal": "pay pal",
    "venmo": "",
    "zelle": "",
    "cash app": "cashapp",
    "apple pay": "applepay",
    "google pay": "gpay|android pay",
    "samsung pay": "",
    "amazon pay": "",
    "shop pay": "shopify pay",
    "klarna": "",
    "afterpay": "",
    "affirm": "",
    "sezzle": "",
    "zip pay": "quadpay|zippay",
    "clearpay": "",
    "laybuy": "",
    "alipay": "",
    "wechat pay": "wechat",
    "sofort": "",
    "bancontact": "",
    "giropay": "",
    "interac": "e-transfer|etransfer",
    "upi": "",
    "paytm": "",
    "pix": "",
    "boleto": "",
    "m-pesa": "mpesa",
    "credit card": "credit cards|creditcard|visa|mastercard|master card|amex|american express|discover|discover card",
    "debit card": "debit cards|debitcard",
    "prepaid card": "prepaid cards",
    "visa": "",
    "mastercard": "master card",
    "amex": "american express",
    "discover card": "discover",
    "jcb": "",
    "diners club": "",
    "maestro": "",
    "unionpay": "union pay",
    "gift card": "gift cards|giftcard|giftcards|gift certificate|gift certificates|gift voucher|gift vouchers|"
    "e-gift card|egift card|egift|e-gift",
    "coupon": "coupons|promo code|promo codes|promo|discount code|discount codes|coupon code|coupon codes|voucher|"
    "vouchers|voucher code|promotional code|promotion code",
    "store credit": "store credits|shop credit|account credit|credit balance|store voucher",
    "points": "reward points|rewards points|loyalty points|rewards|reward",
    "cash": "",
    "cash on delivery": "cod|pay on delivery",
    "cheque": "cheques|pay by check|by check|money order|money orders",
    "bank transfer": "wire transfer|bank wire|ach|direct debit|sepa|bank deposit|bank payment|bank payments|"
    "direct bank payment|direct bank payments",
    "crypto": "cryptocurrency|cryptocurrencies|bitcoin|btc|ethereum|usdc",
    "installments": "instalments|installment|instalment|payment plan|payment plans|financing|pay later|"
    "buy now pay later|bnpl|pay in installments|pay over time|monthly payments|layaway|lay-by",
}

CARRIERS: Final = {
    "ups": "",
    "usps": "postal service",
    "fedex": "fed ex",
    "dhl": "",
    "royal mail": "",
    "canada post": "",
    "australia post": "auspost",
    "dpd": "",
    "gls": "",
    "evri": "hermes",
    "tnt": "",
    "aramex": "",
    "purolator": "",
    "ontrac": "",
    "lasership": "",
    "amazon logistics": "",
    "postnl": "",
    "la poste": "colissimo",
    "chronopost": "",
    "correos": "",
    "japan post": "",
    "india post": "",
    "parcelforce": "",
    "yodel": "",
    "deutsche post": "",
    "poste italiane": "",
    "postnord": "",
    "nz post": "",
    "sf express": "",
    "china post": "",
}

UNITS: Final = {
    "kg": "kgs|kilo|kilos|kilogram|kilograms|kilogramme",
    "gram": "grams|gramme|grammes",
    "lb": "lbs|pound|pounds",
    "oz": "ounce|ounces|fl oz",
    "ml": "milliliter|millilitre|milliliters|millilitres|mls",
    "liter": "litre|liters|litres|ltr",
    "gallon": "gallons",
    "cm": "centimeter|centimetre|centimeters|centimetres|cms",
    "mm": "millimeter|millimetre|millimeters|millimetres",
    "meter": "metre|meters|metres",
    "km": "kilometer|kilometre|kilometers|kilometres",
    "inch": "inches",
    "watt": "watts",
    "kw": "kilowatt|kilowatts",
    "volt": "volts",
    "mah": "",
    "gb": "gigabyte|gigabytes",
    "tb": "terabyte|terabytes",
    "mb": "megabyte|megabytes",
    "ghz": "",
    "hz": "hertz",
    "megapixel": "megapixels",
    "percent": "per cent|pct|%",
}
# Units that are common words too ("what are your hours", "my feet"): durations count after a number or "a", "few"
# ("a week", "a few days"), the others only after a number ("6 ft", "10k", "2x").
FREQUENCY_OF: Final = {
    "day": "daily",
    "hour": "hourly",
    "minute": "hourly",
    "week": "weekly",
    "month": "monthly",
    "year": "annual",
}
DAYS_PER: Final = {"day": 1.0, "hour": 1 / 24, "minute": 1 / 1440, "week": 7.0, "month": 30.0, "year": 365.0}
DURATIONS: Final = {
    "day": "days",
    "hour": "hours|hr|hrs",
    "minute": "minutes|mins",
    "week": "weeks|wk|wks",
    "month": "months",
    "year": "years|yr|yrs",
}
MEASURES: Final = {
    "hour": "h",
    "minute": "min",
    "month": "mo",
    "foot": "feet|ft",
    "yard": "yards|yd",
    "mile": "miles|mi",
    "thousand": "k",
    "gram": "g",
    "times": "x",
    "meter": "m",
    "liter": "l",
    "watt": "w",
    "volt": "v",
    "gallon": "gal",
    "megapixel": "mp",
    "am": "am",
    "pm": "pm|p.m.",
}

# Flavours, scents, diets, skin and hair types, product forms, platforms and connectors.
VARIETIES: Final = {
    "vanilla": "",
    "chocolate": "cocoa",
    "strawberry": "",
    "caramel": "",
    "coffee": "espresso|mocha",
    "lemon": "",
    "cherry": "",
    "cinnamon": "",
    "coconut": "",
    "peppermint": "spearmint",
    "raspberry": "",
    "blueberry": "",
    "mango": "",
    "banana": "",
    "unflavoured": "unflavored|plain flavour|plain flavor",
    "whole bean": "whole beans|beans",
    "ground coffee": "pre-ground|preground",
    "decaf": "decaffeinated|caffeine free|caffeine-free",
    "instant": "instant coffee",
    "unscented": "fragrance free|fragrance-free|scent free|scent-free",
    "gluten free": "gluten-free|celiac|coeliac",
    "dairy free": "dairy-free|lactose free|lactose-free",
    "sugar free": "sugar-free|no sugar|no added sugar",
    "nut free": "nut-free|peanut free|peanut-free",
    "vegan": "plant based|plant-based",
    "vegetarian": "",
    "keto": "",
    "halal": "",
    "kosher": "",
    "organic": "",
    "cruelty free": "cruelty-free",
    "paraben free": "paraben-free",
    "sulfate free": "sulfate-free|sulphate free|sulphate-free",
    "oily skin": "",
    "dry skin": "",
    "sensitive skin": "",
    "combination skin": "",
    "curly hair": "",
    "straight hair": "",
    "fine hair": "",
    "thick hair": "",
    "cream": "creams",
    "lotion": "lotions",
    "serum": "serums",
    "gel": "gels",
    "spray": "sprays",
    "powder": "powders",
    "capsule": "capsules",
    "gummy": "gummies",
    "tablet": "tablets|pills|pill",
    "softgel": "softgels",
    "liquid": "",
    "ios": "iphone|ipad|iphones|ipads",
    "android": "",
    "windows": "windows pc",
    "mac": "macos|macbook|imac|mac os",
    "linux": "",
    "chromebook": "",
    "playstation": "ps4|ps5",
    "xbox": "",
    "nintendo switch": "",
    "usb-c": "usb c|type-c|type c|usbc",
    "lightning": "lightning cable|lightning port",
    "micro usb": "micro-usb",
}

# The properties shoppers ask about (a relation: a question may name none).
ASPECTS: Final = {
    "weight": "weight|weigh|weighs|weighing|heavier|heaviest|lighter|lightest|lightweight",
    "warmth": "warm|warmer|warmest|warmth|insulated|insulation|keep me warm|keeps you warm|cold weather",
    "price": "price|prices|priced|cost|costs|cheap|cheaper|cheapest|expensive|pricier|pricey|priciest|affordable",
    "room": "roomy|roomier|roomiest|spacious|capacity|room|space for|fit inside",
    "dimensions": "dimensions|measurements|measure|length|width|height|inseam|size chart|sizing guide|size guide|"
    "sizing chart",
    "durability": "durable|durability|sturdy|sturdier|tough|tougher|hold up|holds up|wear out|wears out|last long|"
    "lasts long",
    "comfort": "comfortable|comfy|comfier|comfort|cushioned|cushioning|soft|softer|itchy|scratchy|firm|firmer|"
    "firmness|plush",
    "waterproof": "waterproof|water proof|water-proof|water resistant|water-resistant|rainproof|rain proof|"
    "keep me dry|keep you dry|rain cover|rain covers|raincover",
    "dustproof": "dustproof|dust proof|dust-proof|dust resistant|dust-resistant",
    "scratch": "scratch resistant|scratch-resistant|scratchproof|scratch proof",
    "shock": "shockproof|shock proof|shock resistant|shock-resistant|drop proof|drop resistant",
    "stain": "stain resistant|stain-resistant|stainproof|stain proof",
    "heat": "heat resistant|heat-resistant|heatproof|oven safe|oven-safe|microwave safe|microwave-safe",
    "fire": "fire resistant|fire-resistant|fireproof|flame retardant",
    "rust": "rustproof|rust proof|rust resistant|rust-resistant",
    "uv": "uv protection|uv resistant|uv-resistant|upf|spf",
    "windproof": "windproof|wind proof|wind-proof|wind resistant|wind-resistant",
    "battery": "battery|batteries|battery life|rechargeable|recharge|recharging|charging time|charge time",
    "noise": "quiet|quieter|noise|noisy|loud|louder|noise cancelling|noise canceling|anc",
    "brightness": "bright|brighter|brightness|lumens",
    "storage": "pocket|pockets|storage|compartment|compartments",
    "breathability": "breathable|breathability|ventilation|vents|pit zips|sweaty",
    "grip": "grip|traction|slip|slippery|non-slip|slip-resistant",
    "fit": "fit|fits|fitted|fitting|true to size|snug|loose|tight|baggy|slim fit|cut slim|size up|size down|"
    "go up a size|go down a size|sizing",
    "care": "wash|washing|washed|washable|machine wash|machine washable|hand wash|dryer|tumble dry|dry clean|"
    "dry cleaning|iron|ironing|bleach|shrink|shrinks|shrinking|bleed|bleeds|fade|fades|fading|dye|wrinkle|"
    "wrinkles|crease|creases",
    "warranty": "warranty|warranties|guarantee|guaranteed",
    "material": "made of|made from|made out of|material|materials|fabric|fabrics",
    "origin": "made in|manufactured in|country of origin",
    "safety": "safe|safety|non-toxic|toxic",
}

# Kinds of product a shop sells (a relation: a question without one is about no kind in particular).
PRODUCT_TYPES: Final = {
    "apparel": "apparel|clothing|clothes|garments",
    "electronics": "electronics|gadgets|devices",
    "footwear": "footwear",
    "gear": "camping gear|outdoor gear|hiking gear",
    "accessories": "accessories",
    "homeware": "homeware|home goods|housewares|furniture|decor",
    "beauty": "beauty|cosmetics|beauty products",
    "food": "food|groceries|snacks",
    "jacket": "jacket|jackets|coat|coats|parka|parkas|raincoat|raincoats|rain jacket|rain jackets|rain coat|"
    "rain coats|windbreaker|windbreakers|anorak|anoraks|puffer|puffers",
    "vest": "vest|vests|gilet|gilets",
    "hoodie": "hoodie|hoodies|sweatshirt|sweatshirts|pullover|pullovers",
    "sweater": "sweater|sweaters|jumper|jumpers|cardigan|cardigans",
    "shirt": "shirt|shirts|t-shirt|t-shirts|tshirt|tshirts|tee|tees|blouse|blouses|polo|polos|button-up|button-down",
    "pants": "pants|trousers|chinos|slacks|joggers|sweatpants|leggings",
    "jeans": "jeans",
    "shorts": "shorts",
    "skirt": "skirt|skirts",
    "dress": "dress|dresses|gown|gowns",
    "swimwear": "swimsuit|swimsuits|swimwear|bikini|bikinis|swim trunks|bathing suit|bathing suits",
    "underwear": "underwear|boxers|briefs|bra|bras|lingerie",
    "socks": "sock|socks",
    "hat": "hat|hats|cap|caps|beanie|beanies",
    "gloves": "glove|gloves|mittens|mitts",
    "scarf": "scarf|scarves",
    "belt": "belt|belts",
    "boots": "boot|boots",
    "shoes": "shoe|shoes|sneaker|sneakers|trainers|loafers|runners",
    "sandals": "sandal|sandals|flip flops|flip-flops|slides",
    "slippers": "slipper|slippers",
    "backpack": "backpack|backpacks|rucksack|rucksacks|daypack|daypacks",
    "bag": "bag|bags|handbag|handbags|tote|totes|purse|purses|duffel|duffels",
    "wallet": "wallet|wallets",
    "luggage": "suitcase|suitcases|luggage",
    "jewellery": "necklace|necklaces|earring|earrings|bracelet|bracelets|jewelry|jewellery",
    "sunglasses": "sunglasses",
    "tent": "tent|tents",
    "sleeping bag": "sleeping bag|sleeping bags",
    "sleeping pad": "sleeping pad|sleeping pads|sleeping mat|sleeping mats",
    "stove": "stove|stoves",
    "fuel": "fuel|fuel canister|fuel canisters|gas canister|gas canisters",
    "lantern": "lantern|lanterns",
    "headlamp": "headlamp|headlamps|head torch|head torches",
    "flashlight": "flashlight|flashlights|torch|torches",
    "bottle": "bottle|bottles|water bottle|water bottles|flask|flasks",
    "cooler": "cooler|coolers|cool box",
    "hammock": "hammock|hammocks",
    "poles": "trekking poles|hiking poles|trekking pole|hiking pole",
    "earbuds": "earbuds|earphones|headphones|headset|headsets",
    "speaker": "speaker|speakers",
    "charger": "charger|chargers|charging cable|charging cables|power adapter|power adapters",
    "cable": "cable|cables|cord|cords",
    "battery": "battery|batteries",
    "power bank": "power bank|power banks|portable charger|portable chargers",
    "phone": "phone|phones|smartphone|smartphones",
    "laptop": "laptop|laptops|notebook computer",
    "smartwatch": "smartwatch|smartwatches|fitness tracker|fitness trackers",
    "camera": "camera|cameras",
    "mug": "mug|mugs|cup|cups",
    "cookware": "pan|pans|pot|pots|skillet|skillets|cookware",
    "knife": "knife|knives",
    "blanket": "blanket|blankets",
    "pillow": "pillow|pillows|cushion|cushions",
    "bedding": "duvet|duvets|comforter|comforters|sheets|sheet set|bedding",
    "towel": "towel|towels",
    "candle": "candle|candles",
    "lamp": "lamp|lamps",
    "rug": "rug|rugs",
    "mattress": "mattress|mattresses",
    "sofa": "sofa|sofas|couch|couches",
    "chair": "chair|chairs",
    "table": "table|tables|desk|desks",
    "shampoo": "shampoo|shampoos|conditioner|conditioners",
    "skincare": "moisturizer|moisturiser|sunscreen|sunblock",
    "fragrance": "perfume|perfumes|cologne|fragrance|fragrances",
    "makeup": "lipstick|mascara|eyeliner|makeup|make-up",
    "soap": "soap|soaps|body wash",
    "toy": "toy|toys|puzzle|puzzles",
    "book": "book|books",
}

LISTS: Final[dict[str, dict[str, str]]] = {
    "time": {},
    "size": SIZES,
    "colour": {},
    "material": MATERIALS,
    "audience": AUDIENCES,
    "variant": VARIANTS,
    "place": {},
    "payment": PAYMENTS,
    "carrier": CARRIERS,
    "variety": VARIETIES,
}


_ISH: Final = {
    "green": "greenish", "red": "reddish", "blue": "bluish|blueish", "yellow": "yellowish", "pink": "pinkish",
    "grey": "greyish|grayish", "brown": "brownish", "purple": "purplish", "black": "blackish", "white": "whitish",
    "orange": "orangey|orangish",
}  # fmt: skip


_FIXED_DATES: Final = {
    "christmas": ("december", 25), "christmas eve": ("december", 24), "boxing day": ("december", 26),
    "new year's eve": ("december", 31), "new year": ("january", 1), "halloween": ("october", 31),
    "valentine's day": ("february", 14), "independence day": ("july", 4), "juneteenth": ("june", 19),
    "st patrick's day": ("march", 17), "canada day": ("july", 1),
}  # fmt: skip
_ORDINAL_SUFFIX: Final = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}


def _dates(month: str, day: int) -> list[str]:
    nth = f"{day}{_ORDINAL_SUFFIX.get(day, 'th')}"
    short = _MONTHS[month].split("|")[0] or month
    return [f"{m} {d}" for m in (month, short) for d in (day, nth)] + [
        f"{nth} of {month}",
        f"{day} {month}",
        f"{nth} {month}",
    ]


def _fill() -> None:
    colours = dict.fromkeys(_COLOUR_BASES, "")
    colours.update(_ISH)
    for shade in _COLOUR_SHADES:
        for base in _SHADED:
            colours[f"{shade} {base}"] = ""
    for canonical, synonyms in _COLOUR_SYNONYMS.items():
        colours[canonical] = "|".join(filter(None, (colours.get(canonical), synonyms)))
    named = {synonym for canonical, synonyms in colours.items() for synonym in synonyms.split("|") if synonym}
    for shade in named & set(colours):
        del colours[shade]
    LISTS["colour"] = colours
    time = dict(TIME)
    for day, short in _WEEKDAYS.items():
        time[day] = f"{day}s|{short}" if short else f"{day}s"
    for month, short in _MONTHS.items():
        time[month] = short
    for holiday, (month_name, date) in _FIXED_DATES.items():
        time[holiday] = "|".join(filter(None, (time[holiday], *_dates(month_name, date))))
    LISTS["time"] = time
    places = dict.fromkeys((*_COUNTRIES, *_US_STATES, *_PROVINCES, *_CITIES, *_REGIONS), "")
    places.update(_PLACE_SYNONYMS)
    places.update(_LANGUAGES)
    for country, demonym in _DEMONYMS.items():
        places[country] = f"{places[country]}|{demonym}" if places.get(country) else demonym
    LISTS["place"] = places


_fill()

# ---------------------------------------------------------------------------------------------------------------
# Relations: both questions must name one, and they must share none, to differ

RELATIONS: Final[dict[str, dict[str, str]]] = {
    # over/under, more/less than, before/after: which side of a bound or of a date the question is about
    "direction": {
        "low": "less than|fewer than|lower than|smaller than|shorter than|cheaper than|maximum|no more than|earliest|"
        "soonest|"
        "not more than|no later than|not later than|before|prior to|earlier than|within|until|till|ahead of|"
        "beforehand|sooner than|earlier|sooner|no longer than",
        "high": "more than|greater than|higher than|larger than|bigger than|longer than|older than|minimum|exceeding|"
        "exceeds|exceed|exceeded|latest|"
        "after|later than|afterwards|afterward|later|no less than|not less than|no earlier than|not earlier than|"
        "no sooner than|past the|upwards of",
    },
    "period": {},  # this/next/last before a time unit: CONDITIONAL
    "fit": {},  # how it runs: small, large, true to size (CONDITIONAL)
    # what the shopper wants done: "cancel my order" / "change my order", "apply a code" / "get a code"
    "action": {
        "add": "add|adding|added|adds",
        "remove": "remove|removing|removed|removes|delete|deleting|deleted|take off|take out|cancel|cancelling|"
        "canceling|cancelled|canceled|cancels|cancellation",
        "change": "change|changing|changed|changes|modify|modifying|modified|edit|editing|edited|update|updating|"
        "updated|amend|amending|amended|alter|altering|altered|upgrade|upgrading|upgraded|downgrade|downgrading|"
        "downgraded|swap|swapping|swapped|switch|switching|switched",
        "return": "return|returns|returning|returned|returnable|send back|send it back|sent back|ship back|"
        "ship it back|send them back|mail back",
        "refund": "refund|refunds|refunded|refunding|money back|reimburse|reimbursed|reimbursement|chargeback",
        "exchange": "exchange|exchanges|exchanged|exchanging|swap|swapping|swapped",
        "credit": "store credit|store credits|credit note|account credit",
        "replacement": "replacement|replace|replaced|replacing|replacements",
        "repair": "repair|repairs|repaired|repairing",
        "claim": "claim|claims|claiming|file a claim|make a claim",
        "use": "use|using|apply|applying|applied|redeem|redeeming|redeemed|enter|entering|entered|input|type in",
        "obtain": "get|getting|obtain|obtaining|buy|buying|bought|purchase|purchasing|earn|earning|earned",
        "track": "track|tracking|trace|tracing|locate",
        "pause": "pause|paused|pausing",
        "resume": "resume|resumed|resuming|restart|restarted|restarting|reactivate|unpause|start again",
        "skip": "skip|skipping|skipped",
        "register": "register|registering|registered|registration",
        "access": "log in|login|logging in|log into|sign in|signin|signing in|sign into",
        "transfer": "transfer|transferring|transferred|transferable",
        "extend": "extend|extending|extended|extension",
        "create": "write|writing|submit|submitting|submitted|leave a review|leave feedback|leave a comment",
    },
    "open": {
        # "are you open" and "are you closed" ask the same; what time you open and close do not
        "open": "open|opens|opening|opening hours|reopen|reopens|reopening|closed|shut",
        "close": "close|closes|closing|closing time|closure|shuts|shutting",
    },
    "start": {
        "start": "start|starts|started|starting|begin|begins|began|beginning|launch|launches|launching|kick off|"
        "kicks off|go live|goes live",
        "end": "end|ends|ended|ending|finish|finishes|finished|expire|expires|expired|expiring|expiry|expiration|"
        "run out|runs out",
    },
    "switch": {
        "on": "turn on|switch on|enable|enabled|enabling|activate|activated|activating|activation|subscribe|"
        "subscribed|subscribing|opt in|opt-in|opted in|sign up for|resume|reactivate|restart|unpause",
        "off": "turn off|switch off|disable|disabled|disabling|deactivate|deactivated|deactivating|unsubscribe|"
        "unsubscribed|unsubscribing|opt out|opt-out|opted out|pause|paused|pausing|suspend|suspended",
    },
    "attach": {
        "attach": "link|linking|linked|connect|connecting|connected|merge|merging|merged|combine|combining|combined",
        "detach": "unlink|unlinking|unlinked|disconnect|disconnecting|disconnected|split|splitting",
    },
    "install": {
        "install": "install|installing|installed|installation|set up|setup|assemble|assembly|assembling|assembled|"
        "put together|pre-assembled|preassembled",
        "uninstall": "uninstall|uninstalling|uninstalled|disassemble|disassembled|disassembly|take apart|flat pack|"
        "flat-pack|flatpack|flat packed|flat-packed|flatpacked",
    },
    "account": {
        "in": "log in|login|logging in|logged in|log on|sign in|signin|signing in|signed in|log into|sign into",
        "out": "log out|logout|logging out|logged out|log off|sign out|signout|signing out|signed out",
        "up": "sign up|signup|signing up|signed up|register|registering|registered|registration|create an account|"
        "create account|make an account|open an account",
    },
    "grade": {
        "up": "upgrade|upgrading|upgraded|increase|increasing|increased|raise|raising|raised|bigger|larger|size up|"
        "go up|goes up|going up|went up|rise|rises|rising|"
        "go up a size|one size up|extend|extending|extended|extension",
        "down": "downgrade|downgrading|downgraded|decrease|decreasing|decreased|reduce|reducing|reduced|lower|"
        "lowering|smaller|size down|go down a size|one size down|shorten|shortened|go down|goes down|going down|"
        "went down|drop|drops|dropped|dropping",
    },
    "condition": {
        "new": "brand new|new condition|sealed|factory sealed|mint condition|original packaging|tags on|"
        "tags attached|never opened|never used|never worn",
        "used": "used|worn|opened|washed|refurbished|renewed|second hand|second-hand|secondhand|pre-owned|preowned|"
        "pre-loved|open box|open-box|ex-display|display model|tried on",
        # a state the item is in, not a negation: "my jacket arrived damaged, can I return it?"
        "damaged": "damaged|broken|broke|defective|faulty|stopped working|cracked|torn|ripped|dented|scratched",
    },
    "reach": {
        "domestic": "domestic|domestically|local|locally|nationwide|national|within the country",
        "international": "international|internationally|overseas|abroad|worldwide|foreign|global|globally|"
        "cross border|cross-border|outside the country|outside the|other countries|another country",
    },
    "fulfilment": {
        "pickup": "pickup|pick up|pick-up|picking up|picked up|collect|collecting|click and collect|click & collect|"
        "curbside|store pickup|bopis|local pickup",
        "delivery": "delivery|deliveries|deliver|delivers|delivered|delivering|ship|ships|shipping|shipped|mail|"
        "mailed|post|posted|courier|send it|sent",
    },
    "channel": {
        "online": "online|app|website|webshop|web shop|internet|e-shop",
        "store": "instore|physical store|retail store|brick and mortar|walk in",
        "mail": "by mail|by post|through the mail|mail it back|post it back",
    },
    "speed": {
        "express": "express|expedited|fast|faster|fastest|quick|quicker|quickest|rush|priority|urgent|speedy",
        "overnight": "overnight|next day|next-day|next business day",
        "same day": "same day|same-day",
        "standard": "standard|ground|economy|slow|slower|slowest",
    },
    "price": {
        "cheap": "cheap|cheaper|cheapest|inexpensive|affordable|budget|low cost|low-cost|lowest price|"
        "least expensive|less expensive|bargain|discounted|sale|clearance|markdown|reduced price",
        "expensive": "expensive|pricey|pricier|priciest|costly|high end|high-end|luxury|most expensive|"
        "more expensive|full price",
        "final": "final sale|final-sale",
        "free": "free|free of charge|no cost|no charge|no fee|no fees|no extra cost|without a fee|without any fee|"
        "without fees|without any fees|without a charge|without any charge|without paying|without cost|"
        "without any cost|free of cost|"
        "no additional cost|no extra charge|without charge|complimentary|costs nothing|cost nothing",
    },
    "temperature": {
        "hot": "hot|warm|warmer|heat|heated|heating",
        "cold": "cold|cool|cooler|chilled|freeze|frozen|freezing|refrigerate|refrigerated",
    },
    "include": {
        "in": "include|includes|included|including|inclusive|come with|comes with|came with",
        "out": "exclude|excludes|excluded|excluding|exclusive of|not included|not including|not include|"
        "sold separately|separately|purchased separately|bought separately",
    },
    "identity": {
        "guest": "guest|guests|guest checkout|without an account|without logging in|without signing in|"
        "without signing up|without registering|without creating an account|without making an account",
        "member": "account|accounts|member|members|registered customer|registered customers",
    },
    # how often: "the monthly box" / "the annual plan"
    "frequency": {
        "daily": "daily|every day|each day|per day",
        "weekly": "weekly|every week|each week|per week",
        "biweekly": "biweekly|fortnightly|every two weeks|every other week",
        "monthly": "monthly|every month|each month|per month",
        "quarterly": "quarterly|every quarter|each quarter|every three months|per quarter",
        "annual": "annual|annually|yearly|every year|each year|per year",
        "once": "one-time|one time|once off|one-off",
    },
    # what the question is about: "Do you sell hiking boots?" is not "Do you sell hiking socks?"
    "product": PRODUCT_TYPES,
    # which property of a product is asked about: "Which one is lighter?" / "Which one is cheaper?"
    "aspect": ASPECTS,
    # which detail of an account: "change the email on my account" / "change the password"
    "field": {
        "email": "email|e-mail|email address|e-mail address|emails",
        "password": "password|passwords|passcode|pin",
        "username": "username|user name|login name",
        "phone": "phone number|mobile number|cell number|phone no",
        "address": "address|addresses|shipping address|delivery address|mailing address|home address",
        "billing address": "billing address",
        "name": "name|first name|last name|surname",
        "birthday": "birthday|date of birth|birth date",
    },
    "contact": {
        "support": "customer service|customer support|support team|support|customer care|help desk|helpdesk|"
        "helpline|live chat|call center|call centre|agent|representative|rep|human|real person|someone",
        "manager": "manager|supervisor|owner",
        "store": "store hours|shop hours|store opening hours|shop opening hours|showroom",
    },
    "firmness": {
        "firm": "firm|firmer|firmest|extra firm|hard|harder",
        "soft": "soft|softer|softest|plush|extra soft",
    },
    "service": {
        "wrap": "gift wrap|gift wrapped|gift wrapping|gift-wrap|gift-wrapped|gift box|wrapping",
        "engrave": "engrave|engraved|engraving|personalize|personalise|personalized|personalised|personalization|"
        "personalisation|monogram|monogrammed|custom text",
        "assembly service": "assembly service|white glove|installation service",
    },
    "availability": {
        "preorder": "preorder|preorders|pre-order|pre-orders|preordered|pre-ordered|presale|pre-sale",
        "backorder": "backorder|backorders|back-order|back-orders|backordered|back-ordered|back order",
        "in stock": "available now|ready to ship|ships now",
    },
    # what happens when: "When will I be billed?" / "When will it ship?"
    "event": {
        "charge": "charged|billed|bill|billing|debited|invoiced|payment taken",
        "ship": "ship|ships|shipped|shipping|dispatch|dispatched|dispatches|sent out|go out|goes out",
    },
    "setting": {
        "indoor": "indoor|indoors|inside",
        "outdoor": "outdoor|outdoors|outside|patio|patios|deck|balcony|garden|yard|backyard",
        "kitchen": "kitchen|kitchens",
        "bathroom": "bathroom|bathrooms|shower",
        "bedroom": "bedroom|bedrooms",
        "living room": "living room|living rooms|lounge",
        "office": "office|home office|offices",
        "nursery": "nursery|nurseries|kids room|kid's room",
    },
    "wired": {
        "wired": "wired|corded|plug in|plug-in",
        "wireless": "wireless|cordless|bluetooth|wi-fi|wifi",
    },
    "visibility": {
        "public": "public|publicly|visible",
        "private": "private|privately|hidden|anonymous|anonymously|invisible",
    },
    # Prices without a currency ("over 50") are common; only two currencies that differ make a miss.
    "currency": {
        "usd": "usd|american dollars|dollar|dollars|bucks|$",
        "cad": "cad|canadian dollar|canadian dollars",
        "aud": "aud|australian dollar|australian dollars",
        "nzd": "nzd|new zealand dollar|new zealand dollars",
        "eur": "eur|euro|euros|€",
        "gbp": "gbp|pound sterling|sterling|quid|£",
        "jpy": "jpy|yen|¥",
        "cny": "cny|rmb|yuan|renminbi",
        "inr": "inr|rupee|rupees|₹",
        "chf": "chf|swiss franc|swiss francs|francs",
        "sek": "sek|swedish krona|kronor",
        "nok": "nok|norwegian krone",
        "dkk": "dkk|danish krone",
        "mxn": "mxn|peso|pesos",
        "zar": "zar|rand",
        "pln": "pln|zloty",
        "try": "lira",
        "sgd": "sgd|singapore dollar|singapore dollars",
        "hkd": "hkd|hong kong dollar|hong kong dollars",
    },
}

# ---------------------------------------------------------------------------------------------------------------
# Entries that count only in context: (phrase, kind, class or category, value, condition)
# kinds: "list", "relation", "negation", "soft" (an uncertain number), "none"
# conditions (see guards.py): number_after, number_before, amount_before, not_number_before, time_after,
# month_context, after_model, before_tier, size_context, us_context, "after:<words>" (the words just before, a
# determiner between allowed: "in store", "in the store")

_TIER_WORDS: Final = (
    "basic", "standard", "premium", "plus", "starter", "advanced", "business", "enterprise", "family", "personal",
    "individual", "student", "gold", "silver", "platinum", "bronze", "free", "paid", "vip",
)  # fmt: skip
TIER_NOUNS: Final = frozenset(
    {"plan", "plans", "tier", "tiers", "version", "versions", "edition", "membership", "memberships", "subscription",
     "subscriptions", "package", "packages", "account", "accounts", "member", "members", "bundle", "option"}
)  # fmt: skip


def _conditional() -> tuple[tuple[str, str, str, str, str], ...]:
    # Words keyed on their content word, with the word before as condition, so common words ("or", "at", "in")
    # never need a look of their own: "or more", "at least", "in store", "up to", "out of stock".
    entries: list[tuple[str, str, str, str, str]] = [
        *((word, "relation", "direction", "low", "after:or") for word in ("less", "fewer", "under", "below", "lower")),
        *(
            (word, "relation", "direction", "high", "after:or")
            for word in ("more", "above", "over", "higher", "greater", "older")
        ),
        ("not", "none", "", "", "after:or"),
        ("least", "relation", "direction", "high", "after:at"),
        ("most", "relation", "direction", "low", "after:at"),
        ("to", "relation", "direction", "low", "after:up"),
        ("advance", "relation", "direction", "low", "after:in"),
        *((word, "relation", "channel", "store", "after:in") for word in ("store", "stores", "shop", "person")),
        ("stock", "negation", "", "", "after:out of"),
        ("hold", "relation", "action", "pause", "after:on"),  # "put on hold"
        ("mail", "relation", "channel", "mail", "after:in"),  # "in the mail"
        # "runs small", "on the small side": how it fits, not which size
        *(
            (w, kind, group, value, cond)
            for w, value in (("small", "small"), ("large", "large"), ("big", "large"), ("true", "true"))
            for cond in ("after:run", "after:runs", "after:running", "after:ran", "before_any:side")
            for kind, group, value in (("relation", "fit", value), ("relation", "aspect", "fit"))
        ),
        *((w, "relation", "currency", "gbp", "after:in") for w in ("pounds", "pound")),  # "pay in pounds"
        ("rain", "relation", "aspect", "waterproof", "after:in"),  # "in the rain"
        *((w, "relation", "price", "final", "after:sales") for w in ("final",)),  # "all sales final"
        ("final", "relation", "price", "final", "after:sales are"),
        # "how heavy", "how much", "how long does it take" / "how long is it"
        *((w, "relation", "aspect", "weight", "after:how") for w in ("heavy", "light")),
        ("much", "relation", "aspect", "price", "after:how"),
        ("long", "none", "", "", "after:how&before_any:is,are"),  # "how long is the warranty": time or length
        *((w, "relation", "aspect", "time", "after:how") for w in ("long", "soon", "quickly", "fast")),
        *((w, "relation", "aspect", "dimensions", "after:how") for w in ("big", "large", "tall", "wide")),
        ("white", "list", "colour", "offwhite", "after:off"),
        ("states", "list", "place", "us", "after:the"),
    ]
    entries += [(word, "list", "variant", word, "before_tier") for word in _TIER_WORDS]
    entries += [(word, "list", "variant", word, "after_model") for word in _MODEL_SUFFIXES]
    entries += [
        ("s", "list", "size", "small", "size_context"),
        ("m", "list", "size", "medium", "size_context"),
        ("l", "list", "size", "large", "size_context"),
        ("may", "list", "time", "may", "month_context"),
        ("fall", "list", "time", "autumn", "month_context"),
        ("us", "list", "place", "us", "us_context"),
    ]
    # "ship on business days" names a time; "in 3 business days" is a duration
    entries += [(w, "list", "time", "weekday", "not_number_before") for w in _BUSINESS_DAYS]
    # "small order fee", "a large amount": no sizes
    entries += [(w, "none", "", "", f"before_any:{_NOT_SIZED}") for w in ("small", "medium", "large", "big")]
    # inseams and suit lengths: "32 short", "40 regular"
    entries += [(w, "list", "size", w, "number_before") for w in ("short", "regular", "long", "tall")]
    # "2 weeks" is 14 days (a quantity the numbers guard compares); "a few weeks" a unit; "the week" a span
    entries += [(w, "duration", "", unit, "amount_before") for unit, ws in DURATIONS.items() for w in _split(unit, ws)]
    entries += [(w, "relation", "span", unit, "") for unit, ws in DURATIONS.items() for w in _split(unit, ws)]
    entries += [(w, "list", "unit", unit, "number_before") for unit, ws in MEASURES.items() for w in ws.split("|")]
    entries += [(w, "list", "unit", unit, "number_before") for unit, ws in UNITS.items() for w in _split(unit, ws)]
    entries += [
        ("max", "relation", "direction", "low", ""),
        ("min", "relation", "direction", "high", ""),
        ("plus", "relation", "direction", "high", "number_before"),
        *((w, "relation", "direction", "high", "number_after") for w in ("over", "above", "beyond")),
        *((w, "relation", "direction", "low", "number_after") for w in ("under", "below")),
        ("by", "relation", "direction", "low", "time_after"),
    ]
    return tuple(entries)


def _split(canonical: str, synonyms: str) -> list[str]:
    return [canonical, *filter(None, synonyms.split("|"))]


_MODEL_SUFFIXES: Final = ("plus", "max", "air", "se", "slim", "sport", "classic")
_NOT_SIZED: Final = ",".join(
    (
        "order", "orders", "fee", "fees", "business", "businesses", "amount", "amounts", "number", "numbers", "batch",
        "quantity", "quantities", "scratch", "dent", "tear", "hole", "print", "detail", "details", "issue", "issues",
        "problem", "problems", "change", "changes", "charge", "difference", "percentage", "portion", "part", "parts",
        "discount", "price", "town", "company", "brand", "team", "favor", "favour", "deposit", "purchase", "purchases",
    )
)  # fmt: skip
_BUSINESS_DAYS: Final = ("business days", "working days", "business day", "working day", "work days", "work day")
CONDITIONAL: Final = _conditional()

# this/next/last before these words name a period ("next week", "last order", "this coming Friday").
PERIOD_MODIFIERS: Final = {
    "this": "this", "current": "this", "coming": "this", "upcoming": "this", "next": "next", "following": "next",
    "last": "last", "previous": "last", "past": "last", "prior": "last",
}  # fmt: skip
PERIOD_UNITS: Final = frozenset(
    {
        "day", "days", "week", "weeks", "weekend", "weekends", "month", "months", "year", "years", "quarter",
        "season", "morning", "afternoon", "evening", "night", "weekday", "business", "working", "order", "orders",
        "purchase", "purchases", "shipment", "shipments", "delivery", "deliveries", "payment", "payments", "bill",
        "invoice", "sale", "sales", "drop", "restock", "batch", "collection", "visit", "box", "statement", "cycle",
        "spring", "summer", "autumn", "fall", "winter", "christmas", "holiday", "holidays", "hour", "hours",
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
        "november", "december",
    }
)  # fmt: skip
PERIOD_FILLERS: Final = frozenset({"few", "couple", "of", "several", "two", "three", "business", "working"})
MONTH_CONTEXT: Final = frozenset(
    {"in", "of", "early", "late", "mid", "end", "since", "until", "till", "by", "during", "before", "after", "this",
     "next", "last", "from", "through", "the", "every", "beginning", "start"}
)  # fmt: skip
US_CONTEXT: Final = frozenset(
    {"address", "addresses", "customers", "residents", "only", "market", "site", "website", "version",
     "warehouse", "orders", "shipping", "based", "territories", "mainland", "states", "store", "stores"}
)  # fmt: skip

# ---------------------------------------------------------------------------------------------------------------
# Negation: each phrase counts once; "n't", "cannot" and apostrophe-less "dont" become "not" in the tokenizer

NEGATIONS: Final = (
    "not", "no", "never", "none", "nothing", "neither", "nobody", "nowhere", "noone", "no one", "without", "non",
    "no longer", "sold out", "sold-out", "unable", "invalid", "unavailable",
    "incorrect", "incomplete", "ineligible", "inactive", "inaccurate", "insufficient", "incompatible", "impossible",
    "improper", "imperfect", "irregular", "irrelevant", "irreversible", "illegal", "illegible", "dissatisfied",
    "disagree", "dislike", "disallowed", "discontinued", "disqualified", "missing", "lack", "lacks",
    "lacking", "fail", "fails", "failed", "failing", "failure", "declined", "rejected", "refused", "denied",
    "except", "apart from", "other than", "barely", "hardly", "nor",
)  # fmt: skip
# "un-" words are negations unless they start like these (reversals, and words where "un" is no prefix).
UN_NOT_NEGATION: Final = (
    "under", "uni", "until", "unto", "unless", "uncle", "unanim", "unsubscrib", "unlock", "undo", "undid", "unpack",
    "uninstall", "unfollow", "unblock", "unlink", "unzip", "unwrap", "unfreez", "unload", "unplug", "unpaus",
    "unbox", "unfold", "unroll", "untie", "unscrew", "unmute", "unpin", "unsend", "unsave", "unmatch", "unleash",
    "unveil", "unwind", "unders",
)  # fmt: skip
NON_NOT_NEGATION: Final = frozenset({"none", "nonetheless", "nonsense", "nonce", "nonprofit", "nonprofits"})

NEUTRAL: Final = (
    "no problem", "no worries", "no matter", "no idea", "not sure", "not only", "whether or not",
    "used to", "feel free", "hands free", "hands-free", "no. of", "no thanks",
    "no rush", "drop off", "drop-off", "dropoff",
)  # fmt: skip

# ---------------------------------------------------------------------------------------------------------------
# Word order: the words that carry no content of their own, and the prepositions that attach a word to a role

STOPWORDS: Final = frozenset(
    {
        "a", "an", "the", "this", "that", "these", "those", "my", "your", "our", "their", "his", "her", "its", "i",
        "me", "you", "we", "us", "they", "them", "he", "she", "it", "is", "are", "was", "were", "be", "been",
        "being", "am", "do", "does", "did", "done", "have", "has", "had", "can", "could", "will", "would", "shall",
        "should", "may", "might", "must", "to", "from", "into", "for", "in", "on", "at", "with", "by", "of", "via",
        "than", "about", "as", "and", "or", "nor", "but", "so", "if", "then", "there", "here", "what", "which",
        "who", "whom", "whose", "when", "where", "why", "how", "any", "some", "all", "each", "every", "just",
        "also", "too", "very", "please", "hi", "hello", "hey", "thanks", "thank", "ok", "okay", "get", "got",
        "one", "ones", "s", "way", "possible", "like", "yes",
    }
)  # fmt: skip
ROLE_PREPOSITIONS: Final = frozenset({"to", "from", "into", "for", "in", "on", "at", "with", "by", "via", "than"})

# ---------------------------------------------------------------------------------------------------------------
# Numbers

NUMBER_UNITS: Final = {
    w: n
    for n, w in enumerate(
        (
            "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
            "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
        )
    )
}  # fmt: skip
NUMBER_TENS: Final = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
# Counts that are words of their own: "charged twice" is charged two times.
COUNT_WORDS: Final = {"twice": 2, "thrice": 3}
NUMBER_SCALES: Final = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "dozen": 12, "grand": 1000}
ORDINALS: Final = {
    "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
    "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15, "sixteenth": 16,
    "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30, "fortieth": 40,
    "fiftieth": 50, "sixtieth": 60, "seventieth": 70, "eightieth": 80, "ninetieth": 90, "hundredth": 100,
}  # fmt: skip
# Ordinals that also mean something else ("first time", "wait a second"): they match a number, never require one.
SOFT_ORDINALS: Final = {"first": 1, "second": 2}
SOFT_NUMBERS: Final = {
    "single": 1, "once": 1, "double": 2, "couple": 2, "pair": 2, "both": 2, "triple": 3,
}  # fmt: skip
ORDINAL_SUFFIXES: Final = frozenset({"st", "nd", "rd", "th"})
# "one" after these is a pronoun ("this one", "a bigger one", "the red one"), not a count.
ONE_PRONOUN_AFTER: Final = frozenset(
    {
        "this", "that", "the", "which", "another", "any", "each", "every", "a", "an", "new", "other", "same",
        "right", "wrong", "last", "next", "first", "only", "old", "different", "replacement", "good", "nice",
        "better", "best", "cheap", "big", "little", "free", "correct", "original", "similar", "someone", "anyone",
        "no", "my", "your", "its", "their", "our", "his", "her", "specific", "particular", "favorite", "favourite",
    }
)  # fmt: skip
ONE_PRONOUN_BEFORE: Final = frozenset({"another", "of", "or", "instead"})
NOT_COMPARATIVES: Final = frozenset(
    {"after", "over", "under", "order", "ever", "never", "per", "either", "neither", "whether", "number", "other",
     "paper", "water", "member", "customer", "cover", "offer", "transfer", "deliver", "remember", "answer"}
)  # fmt: skip
# Units after a number that keep "2-day", "3-pack" and "5kg" from reading as identifiers.
NUMBER_SUFFIXES: Final = frozenset(
    {
        "st", "nd", "rd", "th", "x", "k", "am", "pm", "s", "d", "h", "hr", "hrs", "min", "mins", "m", "cm", "mm",
        "km", "in", "ft", "g", "kg", "kgs", "lb", "lbs", "oz", "ml", "l", "cl", "gb", "tb", "mb", "w", "v", "mah",
        "hz", "ghz", "mp", "pc", "pcs", "ct", "pk", "xl", "xs", "xxl", "yr", "yrs", "mo", "wk", "wks", "day",
        "days", "gal", "pack", "packs",
    }
)  # fmt: skip
