import json
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from catalog.models import Category, Product, Variant
from search.models import ProductDocument, SearchCount
from search.selectors import did_you_mean
from search.services import (
    cjk_pairs,
    count_key,
    flush_search_counts,
    fold_accents,
    index_all_products,
    normalize_query,
    swap_number_words,
)
from tests.factories import CategoryFactory, ProductFactory, SeriesFactory, VariantFactory

pytestmark = pytest.mark.django_db

URL = reverse("search:results")


def names(response) -> list[str]:
    return [p.name for p in response.context["products"]]


@pytest.fixture
def shop(django_capture_on_commit_callbacks):
    """A small indexed catalog (signals index after commit; run those callbacks)."""
    with django_capture_on_commit_callbacks(execute=True):
        audio = CategoryFactory(name="Audio", slug="audio")
        kitchen = CategoryFactory(name="Kitchen", slug="kitchen")
        home = SeriesFactory(name="Hearth", slug="hearth")
        products = {
            "speaker": ProductFactory(
                name="Bluetooth Speaker",
                category=audio,
                series=home,
                description="Loud and clear.",
                stock=5,
            ),
            "radio": ProductFactory(
                name="Kitchen Radio",
                category=kitchen,
                series=home,
                description="Works with any bluetooth phone.",
                stock=5,
                price=Decimal("30.00"),
            ),
            "soldout": ProductFactory(
                name="Bluetooth Earbuds",
                category=audio,
                series=home,
                stock=0,
                price=Decimal("80.00"),
            ),
            "hidden": ProductFactory(
                name="Bluetooth Lamp", category=kitchen, series=home, is_active=False
            ),
            "shoe": ProductFactory(name="Trail Shoe", category=kitchen, series=home, stock=3),
        }
        VariantFactory(product=products["radio"], sku="RADIO-7")
    return products


def test_every_product_gets_a_document(shop):
    assert ProductDocument.objects.count() == len(shop)
    doc = ProductDocument.objects.get(product=shop["speaker"])
    if connection.vendor == "postgresql":
        # the vectors hold the words; the source text is emptied to keep the table narrow
        assert (doc.skus, doc.taxonomy, doc.body) == ("", "", "")
        assert "'hearth':" in str(doc.title)
        assert "'audio':" in str(doc.title)
    else:
        assert doc.taxonomy == "Hearth Audio"


def test_name_match_ranks_above_description_match_and_in_stock_first(client, shop):
    found = names(client.get(URL, {"q": "bluetooth"}))
    assert "Bluetooth Lamp" not in found  # inactive never appears
    assert found.index("Bluetooth Speaker") < found.index("Kitchen Radio")
    assert found.index("Bluetooth Speaker") < found.index("Bluetooth Earbuds")  # sold out later


def test_exact_sku_ranks_first(client, shop):
    assert names(client.get(URL, {"q": "radio-7"}))[0] == "Kitchen Radio"


@pytest.mark.postgres
@pytest.mark.usefixtures("postgres_only")
@pytest.mark.parametrize("query", ["JAC-000003-PIN", "jac-000003-pin", "000003", "jac 000003"])
def test_a_sku_without_its_size_or_only_its_number_finds_the_product_on_postgres(
    client, shop, django_capture_on_commit_callbacks, query
):
    """PostgreSQL's parser reads "-000003" in "JAC-000003-PIN-S" as a negative number: only
    the whole SKU, or its first two parts, found it."""
    with django_capture_on_commit_callbacks(execute=True):
        VariantFactory(product=shop["shoe"], sku="JAC-000003-PIN-S", size="S")
    assert names(client.get(URL, {"q": query})) == ["Trail Shoe"]


def test_a_sku_search_offers_no_correction_and_asks_no_vocabulary(
    client, shop, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12) as captured:
        response = client.get(URL, {"q": "RADIO-7"})
    assert response.context["suggestion"] is None
    assert not [q for q in captured.captured_queries if "search_lexeme" in q["sql"]]


def test_the_colours_and_sizes_a_product_comes_in_are_searched(
    client, shop, django_capture_on_commit_callbacks
):
    """ "blue lantern" found nothing for a lantern with a blue variant: only the product's
    name, text, SKUs, series and category were indexed."""
    with django_capture_on_commit_callbacks(execute=True):
        lantern = ProductFactory(
            name="Camp Lantern", category=shop["speaker"].category, stock=False
        )
        VariantFactory(product=lantern, colour="Green", size="")
        blue = VariantFactory(product=lantern, colour="Blue", size="XL")
    assert names(client.get(URL, {"q": "blue lantern"})) == ["Camp Lantern"]
    assert names(client.get(URL, {"q": "lantern xl"})) == ["Camp Lantern"]
    assert names(client.get(URL, {"q": "red lantern"})) == []

    with django_capture_on_commit_callbacks(execute=True):  # a variant edit re-indexes
        blue.colour = "Red"
        blue.save()
    assert names(client.get(URL, {"q": "red lantern"})) == ["Camp Lantern"]
    assert names(client.get(URL, {"q": "blue lantern"})) == []


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("creme", "Crème Brûlée Torch"),
        ("brulee", "Crème Brûlée Torch"),
        ("crème", "Crème Brûlée Torch"),
        ("CREME BRULEE", "Crème Brûlée Torch"),
        ("café", "Cafe Mug"),
        ("cafe", "Cafe Mug"),
        ("smorgas", "Smörgås Board"),  # a prefix, as typed so far
        ("strasse", "Straße Sign"),
    ],
)
def test_accents_need_not_be_typed_nor_left_out(
    client, shop, django_capture_on_commit_callbacks, query, found
):
    with django_capture_on_commit_callbacks(execute=True):
        for name in ("Crème Brûlée Torch", "Cafe Mug", "Smörgås Board", "Straße Sign"):
            ProductFactory(name=name, category=shop["radio"].category, stock=2)
    assert names(client.get(URL, {"q": query})) == [found]


@pytest.mark.usefixtures("postgres_only")
def test_a_short_number_is_no_prefix_of_a_skus_number(
    client, shop, django_capture_on_commit_callbacks
):
    """With a SKU's parts indexed, "2 person tent" found a 3-person tent whose SKU was
    TEN-23456: "2" was looked up as a prefix, as every word is."""
    with django_capture_on_commit_callbacks(execute=True):
        for name, sku in (("Two-Person Tent", "TEN-10001"), ("3-Person Dome Tent", "TEN-23456")):
            product = ProductFactory(name=name, category=shop["shoe"].category, stock=False)
            VariantFactory(product=product, sku=sku, stock=2)
    assert names(client.get(URL, {"q": "2 person tent"})) == ["Two-Person Tent"]
    assert names(client.get(URL, {"q": "TEN-234"})) == ["3-Person Dome Tent"]  # 3+ digits: prefix


@pytest.mark.postgres
@pytest.mark.usefixtures("postgres_only")  # SQLite matches "2" inside any SKU or number
@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("2 person tent", "Two-Person Tent"),
        ("2-person tent", "Two-Person Tent"),
        ("three person tent", "3-Person Dome Tent"),
        ("3 person", "3-Person Dome Tent"),
    ],
)
def test_small_numbers_are_searched_as_words_and_words_as_numbers(
    client, shop, django_capture_on_commit_callbacks, query, found
):
    with django_capture_on_commit_callbacks(execute=True):
        # no digits in the series or SKUs: "2" is also looked up as a prefix, and the
        # factories' "Series 2…" and "SKU-2…" (late in a long run) matched it
        shoe = shop["shoe"]
        for name, sku in (("Two-Person Tent", "TENT-TWO"), ("3-Person Dome Tent", "TENT-DOME")):
            product = ProductFactory(
                name=name, category=shoe.category, series=shoe.series, stock=False
            )
            VariantFactory(product=product, sku=sku, stock=2)
    assert names(client.get(URL, {"q": query})) == [found]


def test_number_words_are_swapped_only_as_whole_numbers():
    assert swap_number_words("2 person tent") == "two person tent"
    assert swap_number_words("Two-Person") == "2-Person"
    assert (
        swap_number_words("1.5 l kettle, 0.65L, 12 cups, 3rd")
        == "1.5 l kettle, 0.65L, 12 cups, 3rd"
    )


def test_accents_are_folded_only_on_latin_letters():
    assert fold_accents("Crème Brûlée, Smörgås, Straße, Æble, Øl") == (
        "Creme Brulee, Smorgas, Strasse, AEble, Ol"
    )
    # Japanese voiced kana and Arabic letters with their marks stay what they are
    for text in ("ブラック", "ガラス", "إبريق شاي", "Ελλάδα"):
        assert fold_accents(text) == text


def test_category_and_series_names_are_searched(client, shop):
    assert set(names(client.get(URL, {"q": "audio"}))) == {"Bluetooth Speaker", "Bluetooth Earbuds"}


def test_filters_combine_with_the_query(client, shop):
    response = client.get(URL, {"q": "bluetooth", "in_stock": "on", "max_price": "50"})
    assert set(names(response)) == {"Bluetooth Speaker", "Kitchen Radio"}
    response = client.get(URL, {"q": "bluetooth", "sort": "-price"})
    assert names(response)[0] == "Bluetooth Earbuds"
    body = response.content.decode()
    assert '<input type="hidden" name="q" value="bluetooth">' in body


def test_a_search_the_filters_empty_says_so_and_keeps_the_query_when_clearing_them(client, shop):
    body = client.get(URL, {"q": "bluetooth", "max_price": "1"}).content.decode()
    assert "Nothing matches" not in body  # it does: the filters left none of them
    assert "No products match “<bdi>bluetooth</bdi>” with these filters." in body
    assert '<a href="/search/?q=bluetooth">Clear the filters</a>' in body
    body = client.get(URL, {"q": "blutooth", "sort": "price"}).content.decode()
    assert "Nothing matches “<bdi>blutooth</bdi>”" in body  # a sort order is no filter
    # a typo finds nothing with or without the filters: clearing them is no help
    body = client.get(URL, {"q": "blutooth", "max_price": "100"}).content.decode()
    assert "Nothing matches “<bdi>blutooth</bdi>”" in body
    assert "with these filters" not in body
    assert "Did you mean" in body


def test_a_search_that_found_nothing_offers_the_categories(client, shop):
    body = client.get(URL, {"q": "boots"}).content.decode()
    assert "Nothing matches “<bdi>boots</bdi>”" in body
    assert '<nav class="hot-searches" aria-label="Categories"><span>Or browse:</span>' in body
    assert '<li><a href="/category/audio/">Audio</a></li>' in body
    assert '<li><a href="/category/kitchen/">Kitchen</a></li>' in body
    body = client.get(URL, {"q": "bluetooth"}).content.decode()
    assert "Or browse:" not in body


def test_matched_words_are_highlighted_and_escaped(client, shop):
    ProductFactory(name="<b>Bluetooth</b> Hat", category=shop["speaker"].category)
    index_all_products()
    body = client.get(URL, {"q": "bluetooth"}).content.decode()
    assert "<mark>Bluetooth</mark> Speaker" in body
    assert "&lt;b&gt;<mark>Bluetooth</mark>&lt;/b&gt; Hat" in body


@pytest.mark.parametrize("query", ["", "x", "<>", "a b"])
def test_text_is_escaped_when_the_query_has_no_word_to_highlight(query):
    """highlight marks words of two letters or more; with none in the query it still returns
    the text escaped (it is marked safe either way)."""
    from core.templatetags.shop_tags import highlight

    assert (
        highlight("<b>Hat</b> & <script>", query) == "&lt;b&gt;Hat&lt;/b&gt; &amp; &lt;script&gt;"
    )


def test_typo_offers_did_you_mean(client, shop):
    response = client.get(URL, {"q": "blutooth"})
    assert response.context["suggestion"] == "bluetooth"
    assert 'Did you mean <a href="/search/?q=bluetooth"' in response.content.decode()


def test_did_you_mean_joins_a_word_typed_in_two_and_never_repeats_a_word(client, shop):
    # "blue tooth" once offered "bluetooth bluetooth": each half corrected to the same word
    response = client.get(URL, {"q": "blue tooth speaker"})
    assert response.context["suggestion"] == "bluetooth speaker"
    assert names(client.get(URL, {"q": response.context["suggestion"]})) == ["Bluetooth Speaker"]
    assert did_you_mean(query="blue tooth") == "bluetooth"


def test_did_you_mean_offers_no_plural_of_the_word_that_found_the_product(
    client, shop, django_capture_on_commit_callbacks
):
    # the vocabulary holds the names' words: "poles", not "pole"
    with django_capture_on_commit_callbacks(execute=True):
        ProductFactory(name="Trekking Poles", category=shop["shoe"].category, stock=2)
    response = client.get(URL, {"q": "trekking pole"})
    assert names(response) == ["Trekking Poles"]
    assert response.context["suggestion"] is None
    assert "Did you mean" not in response.content.decode()
    assert did_you_mean(query="trekking polse") == "trekking poles"  # a typo still is one


@pytest.mark.parametrize(
    ("query", "suggestion"),
    [("bluetoothspeaker", "bluetooth speaker"), ("trailshoe", "trail shoe")],
)
def test_did_you_mean_cuts_two_words_typed_as_one(client, shop, query, suggestion):
    # the closest single word was one half: "speaker", "shoe"
    response = client.get(URL, {"q": query})
    assert response.context["suggestion"] == suggestion
    assert names(client.get(URL, {"q": suggestion}))


def test_did_you_mean_never_offers_a_word_that_finds_nothing(
    client, shop, django_capture_on_commit_callbacks
):
    # "shoe" stays in the vocabulary after the only shoe is renamed
    product = shop["shoe"]
    with django_capture_on_commit_callbacks(execute=True):
        product.name = "Trail Sandal"
        product.short_description = ""
        product.description = ""
        product.save()
    response = client.get(URL, {"q": "shoee"})
    assert response.context["suggestion"] is None
    assert "Did you mean" not in response.content.decode()


def test_index_follows_a_product_edit(client, shop, django_capture_on_commit_callbacks):
    product = shop["shoe"]
    with django_capture_on_commit_callbacks(execute=True):
        product.name = "Trail Sandal"
        product.save()
    assert names(client.get(URL, {"q": "sandal"})) == ["Trail Sandal"]


def test_index_follows_a_category_rename(client, shop, django_capture_on_commit_callbacks):
    category = shop["speaker"].category
    with django_capture_on_commit_callbacks(execute=True):
        category.name = "Hi-Fi"
        category.save()
    assert set(names(client.get(URL, {"q": "hi-fi"}))) == {"Bluetooth Speaker", "Bluetooth Earbuds"}


def test_searches_are_counted_per_normalized_query_per_day(client, shop):
    client.get(URL, {"q": "Bluetooth"})
    client.get(URL, {"q": "  bluetooth!! "})
    client.get(URL, {"q": "bluetooth", "page": "2"})  # later pages are not new searches
    client.get(URL, {"q": "zzzz"})
    flush_search_counts()  # buffered in Redis when there is one
    counts = {c.query: (c.count, c.results) for c in SearchCount.objects.all()}
    assert counts["bluetooth"][0] == 2
    assert counts["zzzz"] == (1, 0)


def test_hot_searches_show_on_results_and_home(client, shop):
    for _ in range(3):
        client.get(URL, {"q": "speaker"})
    client.get(URL, {"q": "nothing-here"})
    for _ in range(3):
        client.get(URL, {"q": "s"})  # found things, but one letter is no search to advertise
    client.get(URL, {"q": "blue speaker"})  # searched once: one visitor's text, not shown
    flush_search_counts()
    from django.core.cache import cache

    cache.clear()
    home = client.get("/").content.decode()
    assert 'href="/search/?q=speaker"' in home
    assert "nothing-here" not in home  # searches that found nothing are not advertised
    assert 'href="/search/?q=s"' not in home
    assert "blue%20speaker" not in home
    assert 'href="/search/?q=speaker"' in client.get(URL, {"q": "x"}).content.decode()


def test_hot_searches_say_only_what_the_catalog_says(client, shop):
    """Two searches from one visitor put any text that found something on every page:
    popular searches are shown only when every word is one of the catalog's."""
    from django.core.cache import cache

    today = timezone.localdate()
    for query in (  # each found something ("or" finds speakers) and was searched twice
        "speaker or this shop is a scam call 0900 666",
        "speaker 09 00",
        "kitchen radio",
        "a radio",
    ):
        SearchCount.objects.create(query=query, day=today, count=2, results=3)
    cache.clear()
    home = client.get("/").content.decode()
    assert "scam" not in home
    assert "speaker%2009" not in home
    assert 'href="/search/?q=kitchen%20radio"' in home
    assert 'href="/search/?q=a%20radio"' in home  # a short word is fine, a number is not


def test_admin_reports_top_and_zero_result_queries(client, shop):
    from tests.factories import UserFactory

    client.get(URL, {"q": "speaker"})
    client.get(URL, {"q": "unicorn"})
    flush_search_counts()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    body = client.get(reverse("admin:search_searchcount_changelist")).content.decode()
    assert "Searches that found nothing" in body
    assert "<td>unicorn</td>" in body
    zero = client.get(reverse("admin:search_searchcount_changelist"), {"found": "no"})
    assert "unicorn" in zero.content.decode()


def test_autocomplete_json_shape(client, shop):
    data = json.loads(client.get(reverse("search:suggest"), {"q": "blue"}).content)
    assert data["query"] == "blue"
    assert [p["name"] for p in data["products"]][:1] in (
        ["Bluetooth Earbuds"],
        ["Bluetooth Speaker"],
    )
    first = data["products"][0]
    assert set(first) == {"name", "url", "price", "price_text", "image"}
    assert first["price_text"] == f"€{Decimal(first['price']):,.2f}"  # as the pages show it
    assert len(data["categories"]) + len(data["products"]) <= 8
    assert "Bluetooth Lamp" not in {p["name"] for p in data["products"]}
    data = json.loads(client.get(reverse("search:suggest"), {"q": "aud"}).content)
    assert data["categories"] == [{"name": "Audio", "url": "/category/audio/"}]
    assert json.loads(client.get(reverse("search:suggest"), {"q": "b"}).content)["products"] == []


def test_autocomplete_answers_with_the_text_typed_even_from_its_cache(client, shop):
    # found by tests/search/test_query_properties.py: the suggestions are cached under the
    # words, and "12" was answered with the "query" of whoever typed "&&&&12" first
    client.get(reverse("search:suggest"), {"q": "&&&&blue"})
    data = json.loads(client.get(reverse("search:suggest"), {"q": "blue"}).content)
    assert data["query"] == "blue"
    assert data["products"]


def test_autocomplete_offers_no_category_without_products(
    client, shop, django_capture_on_commit_callbacks
):
    """A suggestion never leads to an empty page: a category nothing active is in (yet) is
    left out; a parent of one with products is offered."""
    with django_capture_on_commit_callbacks(execute=True):
        CategoryFactory(name="Audio Cables", slug="audio-cables")
        empty_parent = CategoryFactory(name="Audiophile", slug="audiophile")
        CategoryFactory(name="Audiophile Turntables", slug="turntables", parent=empty_parent)
        gear = CategoryFactory(name="Audio Gear", slug="audio-gear")
        ProductFactory(
            name="Vinyl Brush", category=CategoryFactory(slug="brushes", parent=gear), stock=2
        )
        CategoryFactory(name="Audio Lamps", slug="audio-lamps")
        ProductFactory(name="Hidden Lamp", category=Category.objects.get(slug="audio-lamps"))
        Product.objects.filter(name="Hidden Lamp").update(is_active=False)
    data = json.loads(client.get(reverse("search:suggest"), {"q": "audi"}).content)
    assert [c["name"] for c in data["categories"]] == ["Audio", "Audio Gear"]


def test_autocomplete_offers_categories_by_the_start_of_their_words(client, shop):
    """As the products: "he" is the start of "Headphones", not "kitchen" (ends in "hen") nor
    "Ashes" ("he" inside)."""
    for name, slug in (("Headphones", "headphones"), ("Ashes", "ashes")):
        ProductFactory(name=f"{name} item", category=CategoryFactory(name=name, slug=slug))
    data = json.loads(client.get(reverse("search:suggest"), {"q": "he"}).content)
    assert [c["name"] for c in data["categories"]] == ["Headphones"]
    data = json.loads(client.get(reverse("search:suggest"), {"q": "kitchen he"}).content)
    assert data["categories"] == []


def test_autocomplete_says_from_when_the_variants_sell_at_different_prices(
    client, shop, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        VariantFactory(product=shop["shoe"], size="46", price_override=Decimal("99.00"))
    data = json.loads(client.get(reverse("search:suggest"), {"q": "trail"}).content)
    (shoe,) = [p for p in data["products"] if p["name"] == "Trail Shoe"]
    assert shoe["price_text"] == f"From €{shop['shoe'].price:,.2f}"


HOSTILE = [
    "",
    "   ",
    "x" * 10_000,
    "' OR 1=1 --",
    "a & b | !c :* 'quoted' \\ back\\slash",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "🙂 эмодзи 中文",
    "\x00\x01nul",
    "ｂｌｕｅｔｏｏｔｈ",  # full-width: NFKC makes it plain
    "!!!",
    ":*",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_give_a_normal_page(client, shop, query):
    response = client.get(URL, {"q": query})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<script>alert(1)" not in body
    assert "onerror=alert(1)>" not in body
    suggest = client.get(reverse("search:suggest"), {"q": query})
    assert suggest.status_code == 200
    json.loads(suggest.content)


def test_a_long_search_is_quoted_shortened_but_kept_whole_in_the_box(client, shop):
    query = "Wanderrucksackregenschutzhüllenbefestigung " * 4
    body = client.get(URL, {"q": query}).content.decode()
    words = query.strip()
    shown = "Search results for “Wanderrucksackregenschutzhüllenbefestig…”"
    assert f"<h1>{shown}</h1>" in body or f">{shown}</h1>" in body
    assert f'aria-current="page">{shown}</li>' in body  # the breadcrumb
    assert f"<title>{shown}" in body
    assert "Nothing matches “<bdi>Wanderrucksackregenschutzhüllenbefestig…</bdi>”" in body
    assert f'value="{words}"' in body  # the search box keeps what was typed


def test_overlong_query_is_cut_with_a_notice(client, shop):
    response = client.get(URL, {"q": "bluetooth " + "x" * 500})
    assert "first 200 characters" in response.content.decode()
    assert len(response.context["query"]) == 200


def test_normalization():
    assert normalize_query("  Blue\x00tooth   speaker ") == ("Blue tooth speaker", False)
    assert normalize_query("ｂｌｕｅ")[0] == "blue"
    assert count_key("Bluetooth,  SPEAKER!") == "bluetooth speaker"
    assert count_key("<>!!") == ""


@pytest.mark.parametrize("n", [3, 25])
def test_search_query_budget_does_not_grow(
    client, django_assert_max_num_queries, n, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        category = CategoryFactory()
        for i in range(n):
            product = ProductFactory(name=f"Camp Lantern {i}", category=category, stock=False)
            VariantFactory(product=product, stock=i % 2)
    client.get("/")
    with django_assert_max_num_queries(12):
        assert client.get(URL, {"q": "lantern", "in_stock": "on"}).status_code == 200


@pytest.mark.usefixtures("postgres_only")
def test_stemming_on_postgres(client, shop):
    assert names(client.get(URL, {"q": "shoes"})) == ["Trail Shoe"]
    assert names(client.get(URL, {"q": "speakers"}))[0] == "Bluetooth Speaker"


@pytest.mark.usefixtures("postgres_only")
def test_a_one_character_search_is_not_a_prefix_of_every_word(client, shop):
    # "k:*" matched every word starting with k; on the 100,000-product bench catalog "1" and
    # "e" ranked half the catalog (0.2-0.4 s) to show nothing anyone searched for.
    assert names(client.get(URL, {"q": "k"})) == []
    assert names(client.get(URL, {"q": "k", "in_stock": "on"})) == []
    # two characters are still a prefix, as is the last word typed of several
    assert names(client.get(URL, {"q": "ki"})) == ["Kitchen Radio", "Trail Shoe"]  # Kitchen
    assert names(client.get(URL, {"q": "kitchen r"})) == ["Kitchen Radio"]


@pytest.mark.usefixtures("postgres_only")
def test_document_is_a_weighted_tsvector_on_postgres(shop):
    doc = ProductDocument.objects.get(product=shop["speaker"])
    assert "'bluetooth':1A" in str(doc.document)
    assert Variant.objects.filter(product=shop["radio"]).exists()


@pytest.mark.usefixtures("postgres_only")
def test_plain_and_filtered_searches_rank_the_same(client, shop):
    """A plain search reads only the documents; a filtered one joins products: same order."""
    plain = names(client.get(URL, {"q": "bluetooth"}))
    filtered = names(client.get(URL, {"q": "bluetooth", "max_price": "100000"}))
    assert plain == filtered == ["Bluetooth Speaker", "Kitchen Radio", "Bluetooth Earbuds"]
    assert names(client.get(URL, {"q": "bluetooth", "in_stock": "on"})) == plain[:2]


@pytest.mark.usefixtures("postgres_only")
def test_series_and_category_words_rank_above_description_words(client, shop):
    with_taxonomy = ProductFactory(
        name="Desk Clock", category=CategoryFactory(name="Hearth Audio Gear"), stock=4
    )
    index_all_products()
    found = names(client.get(URL, {"q": "audio"}))
    assert found.index(with_taxonomy.name) < len(found)
    ProductFactory(name="Wall Clock", description="Pairs with audio gear.", stock=4)
    index_all_products()
    found = names(client.get(URL, {"q": "audio"}))
    assert found.index("Desk Clock") < found.index("Wall Clock")


@pytest.mark.postgres
@pytest.mark.usefixtures("postgres_only")
def test_the_product_named_what_was_searched_comes_before_its_accessories(
    client, shop, django_capture_on_commit_callbacks
):
    """Equal matches were ranked newest first: "tent" listed the pegs and the repair kit added
    after the tent above it, in the results and in the suggestions."""
    camping = CategoryFactory(name="Camping", slug="camping")
    with django_capture_on_commit_callbacks(execute=True):
        ProductFactory(name="Trail Tent", category=camping, stock=3)
        ProductFactory(name="Trail Tent Pegs, Set of Eight", category=camping, stock=3)
        ProductFactory(name="Trail Tent Repair Kit with Patches", category=camping, stock=3)
    for found in (
        names(client.get(URL, {"q": "trail tent"})),
        names(client.get(URL, {"q": "trail tent", "max_price": "100000"})),
        [
            p["name"]
            for p in client.get(reverse("search:suggest"), {"q": "trail ten"}).json()["products"]
        ],
    ):
        assert found[0] == "Trail Tent"
        assert len(found) == 3


def test_products_deactivated_in_bulk_leave_search_at_once(
    admin_client, shop, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:catalog_product_changelist"),
            {"action": "deactivate", "_selected_action": [shop["speaker"].pk]},
        )
    assert ProductDocument.objects.get(product=shop["speaker"]).is_active is False
    assert "Bluetooth Speaker" not in names(admin_client.get(URL, {"q": "bluetooth"}))
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:catalog_product_changelist"),
            {"action": "activate", "_selected_action": [shop["speaker"].pk]},
        )
    assert "Bluetooth Speaker" in names(admin_client.get(URL, {"q": "bluetooth"}))


def test_odd_page_numbers_give_a_normal_page(client, shop):
    for page in ("²", "٣", "0", "-1", "99999", "1e3", "x"):
        assert client.get(URL, {"q": "bluetooth", "page": page}).status_code == 200


def test_deleting_a_variant_updates_the_in_stock_flag(shop, django_capture_on_commit_callbacks):
    product = shop["shoe"]
    assert ProductDocument.objects.get(product=product).in_stock is True
    with django_capture_on_commit_callbacks(execute=True):
        product.variants.all().delete()
    assert ProductDocument.objects.get(product=product).in_stock is False


@pytest.mark.parametrize("params", [None, {}, {"sort": "relevance"}, {"in_stock": "on"}])
def test_search_page_without_a_query_string_is_a_normal_page(client, shop, params):
    # A bare /search/ leaves the filter form unbound (it once crashed on PostgreSQL).
    response = client.get(URL, params) if params is not None else client.get(URL)
    assert response.status_code == 200
    assert response.context["query"] == ""


def test_an_empty_search_says_what_to_do_without_a_count_or_filters(client):
    for params in (None, {"q": ""}, {"q": "   "}):
        body = client.get(URL, params).content.decode()
        assert "Type what you are looking for into the search box" in body
        assert "0 products" not in body
        assert "Filter and sort" not in body


def test_chinese_and_japanese_names_are_cut_into_character_pairs():
    assert cjk_pairs("青花瓷 teapot 茶") == ["青花", "花瓷", "茶"]
    assert cjk_pairs("南部鉄器 急須 あられ") == ["南部", "部鉄", "鉄器", "急須", "あら", "られ"]
    assert cjk_pairs("青花瓷 teapot 茶", last_characters=True) == ["青花", "花瓷", "瓷", "茶"]
    assert cjk_pairs("Plain English") == []


@pytest.mark.usefixtures("postgres_only")
def test_a_word_inside_a_chinese_name_is_found_on_postgres(
    client, shop, django_capture_on_commit_callbacks
):
    """PostgreSQL reads "手工景德镇青花瓷茶具套装" as one word: "茶具" (tea set) found nothing."""
    with django_capture_on_commit_callbacks(execute=True):
        ProductFactory(name="手工景德镇青花瓷茶具套装——十二件套", stock=4)
    for query in ("茶具", "青花瓷", "景德镇青花瓷茶具"):
        assert names(client.get(URL, {"q": query})) == ["手工景德镇青花瓷茶具套装——十二件套"]
        suggested = json.loads(client.get(reverse("search:suggest"), {"q": query}).content)
        assert [p["name"] for p in suggested["products"]] == ["手工景德镇青花瓷茶具套装——十二件套"]
    assert names(client.get(URL, {"q": "瓷器"})) == []  # every pair must be there


@pytest.mark.usefixtures("postgres_only")
def test_one_chinese_character_finds_the_names_it_stands_in_on_postgres(
    client, shop, django_capture_on_commit_callbacks
):
    """ "茶" (tea) is a whole word in Chinese; searching for it found nothing (one-letter
    prefixes are off: "e" matches half a catalog). It now finds every name it stands in, first,
    inside or last; one Latin letter still finds only the word itself."""
    with django_capture_on_commit_callbacks(execute=True):
        ProductFactory(name="青花瓷茶具", stock=4)
        ProductFactory(name="茶壶", stock=4)
        ProductFactory(name="桂花乌龙茶", stock=4)
        ProductFactory(name="青花瓷碗", stock=4)
        ProductFactory(name="Earl Grey", stock=4)
    assert sorted(names(client.get(URL, {"q": "茶"}))) == sorted(
        ["青花瓷茶具", "茶壶", "桂花乌龙茶"]
    )
    suggested = json.loads(client.get(reverse("search:suggest"), {"q": "茶"}).content)
    assert sorted(p["name"] for p in suggested["products"]) == sorted(
        ["青花瓷茶具", "茶壶", "桂花乌龙茶"]
    )
    assert names(client.get(URL, {"q": "e"})) == []


@pytest.mark.usefixtures("postgres_only")
def test_a_chinese_name_indexed_before_the_pairs_is_still_found_by_its_first_word(
    client, shop, django_capture_on_commit_callbacks
):
    """A shop that upgraded has documents without the character pairs until each product's
    next save (or index_all_products): a search for the name's beginning found them before
    and must still."""
    with (
        mock.patch("search.services.cjk_pairs", return_value=[]),
        django_capture_on_commit_callbacks(execute=True),
    ):
        ProductFactory(name="青花瓷茶壶", stock=4)
    assert names(client.get(URL, {"q": "青花瓷"})) == ["青花瓷茶壶"]


def test_a_long_search_is_cut_between_characters_not_inside_an_emoji():
    flag = "🇩🇪"  # two regional indicators, one flag (a lone one shows as a letter in a box)
    query, cut = normalize_query("a" * 199 + flag)
    assert (query, cut) == ("a" * 199, True)


@pytest.mark.usefixtures("postgres_only")
def test_an_upgraded_shop_finds_one_chinese_character_after_migrating(
    client, shop, django_capture_on_commit_callbacks
):
    """Documents indexed before each run's last character was (an upgraded shop) are rebuilt
    by search's migration 0007: "茶" then finds "桂花乌龙茶", whose 茶 ends the name."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("search.migrations.0007_reindex_cjk_last_characters")
    series = SeriesFactory(name="乌龙茶")
    with (
        mock.patch("search.services.cjk_pairs", return_value=[]),
        django_capture_on_commit_callbacks(execute=True),
    ):
        ProductFactory(name="桂花乌龙茶", stock=4)
        ProductFactory(name="Oolong sampler", series=series, stock=4)
        ProductFactory(name="Earl Grey", stock=4)
    assert names(client.get(URL, {"q": "茶"})) == []

    with django_capture_on_commit_callbacks(execute=True):  # a real migrate commits
        migration.reindex(apps, None)

    assert sorted(names(client.get(URL, {"q": "茶"}))) == ["Oolong sampler", "桂花乌龙茶"]


@pytest.mark.postgres
@pytest.mark.usefixtures("postgres_only")
def test_an_upgraded_shop_finds_a_sku_by_its_number_after_migrating(
    client, shop, django_capture_on_commit_callbacks
):
    """Documents indexed before the SKUs' parts were are rebuilt by search's migration 0008."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("search.migrations.0008_reindex_sku_parts")
    with (
        mock.patch("search.services._skus", return_value="JAC-000003-PIN-S"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        VariantFactory(product=shop["shoe"], sku="JAC-000003-PIN-S", size="S")
    assert names(client.get(URL, {"q": "000003"})) == []

    with django_capture_on_commit_callbacks(execute=True):  # a real migrate commits
        migration.reindex(apps, None)

    assert names(client.get(URL, {"q": "000003"})) == ["Trail Shoe"]


def test_an_upgraded_shop_finds_a_name_with_accents_typed_without_after_migrating(
    client, shop, django_capture_on_commit_callbacks
):
    """Documents indexed before the words with accents were also indexed without them are
    rebuilt by search's migration 0009."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("search.migrations.0009_reindex_folded_accents")
    with (
        mock.patch("search.services._folded_words", return_value=[]),
        django_capture_on_commit_callbacks(execute=True),
    ):
        ProductFactory(name="Crème Brûlée Torch", category=shop["radio"].category, stock=2)
        ProductFactory(name="Plain Torch", category=CategoryFactory(name="Café"), stock=2)
    assert names(client.get(URL, {"q": "creme"})) == []
    assert names(client.get(URL, {"q": "cafe"})) == []

    with django_capture_on_commit_callbacks(execute=True):  # a real migrate commits
        migration.reindex(apps, None)

    assert names(client.get(URL, {"q": "creme"})) == ["Crème Brûlée Torch"]
    assert names(client.get(URL, {"q": "cafe"})) == ["Plain Torch"]


def test_did_you_mean_keeps_the_filters_and_sort_and_starts_at_page_one(client, shop):
    """The suggestion link dropped the filters: a shopper who had narrowed to in-stock audio
    under 50 got every result of the corrected words and had to choose again."""
    response = client.get(
        URL, {"q": "blutooth", "in_stock": "true", "sort": "price", "max_price": "50", "page": "1"}
    )
    assert response.context["suggestion"] == "bluetooth"
    url = response.context["suggestion_url"]
    followed = client.get(url)
    assert followed.context["query"] == "bluetooth"
    assert followed.request["QUERY_STRING"].count("q=") == 1
    params = followed.wsgi_request.GET
    assert (params["in_stock"], params["sort"], params["max_price"]) == ("true", "price", "50")
    assert "page" not in params
    assert f'Did you mean <a href="{url.replace("&", "&amp;")}"' in response.content.decode()


def test_the_suggestion_script_asks_for_one_chinese_character_as_the_server_answers_it():
    """static/js/shop.js sends one character only when it is one the server takes as a word
    (search.services.CJK_RUN_RE); with its own copy of the class drifting, a lone 茶 typed in
    the header was never sent although the server answers it."""
    import pathlib
    import re as regex

    from django.conf import settings

    from search.services import CJK_RUN_RE

    script = (pathlib.Path(settings.BASE_DIR) / "static" / "js" / "shop.js").read_text()
    found = regex.search(r"var ONE_CJK = /\^(\[[^\]]+\])\$/;", script)
    assert found, "shop.js no longer defines ONE_CJK"
    assert found.group(1) + "+" == CJK_RUN_RE.pattern
