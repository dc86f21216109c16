"""Tiny inline catalogs whose right answers are known."""

from recommender.catalog import Catalog, Item


def tiny_movies() -> Catalog:
    return Catalog("movies", (
        Item("1", "Alien", 1979, ("Horror", "Sci-Fi"), ("aliens", "space"), popularity=50),
        Item("2", "Aliens", 1986, ("Action", "Horror", "Sci-Fi"), ("aliens",), popularity=40),
        Item("3", "Blade Runner", 1982, ("Sci-Fi", "Thriller"), ("dystopia", "cyberpunk"),
             popularity=60),
        Item("4", "The Matrix", 1999, ("Action", "Sci-Fi", "Thriller"), ("cyberpunk", "dystopia"),
             popularity=90),
        Item("5", "Titanic", 1997, ("Drama", "Romance"), ("ship",), popularity=70),
        Item("6", "Notting Hill", 1999, ("Comedy", "Romance"), (), popularity=30),
        Item("7", "Pride & Prejudice", 2005, ("Drama", "Romance"), (), popularity=20),
        Item("8", "Up", 2009, ("Adventure", "Animation"), ("pixar",), popularity=45),
        Item("9", "Ghost in the Shell", 1995, ("Animation", "Sci-Fi"), ("cyberpunk", "anime"),
             popularity=25),
        Item("10", "Star Wars: Episode IV - A New Hope", 1977, ("Action", "Sci-Fi"), ("space",),
             popularity=80),
        Item("11", "Star Wars: Episode V - The Empire Strikes Back", 1980, ("Action", "Sci-Fi"),
             ("space",), popularity=75),
        Item("12", "Her", 2013, ("Drama", "Romance", "Sci-Fi"), (), popularity=15),
        Item("13", "Heat", 1995, ("Action", "Crime", "Thriller"), ("heist",), popularity=35),
        Item("14", "The Heat", 2013, ("Action", "Comedy", "Crime"), (), popularity=33),
    ), kind="movies")


def tiny_products() -> Catalog:
    return Catalog("beauty", (
        Item("B1", "Versace Bright Crystal Eau de Toilette Spray for Women, 3 Ounce", popularity=9),
        Item("B2", "Prada Candy By Prada Eau De Parfum Spray 1.7 Oz For Women", popularity=7),
        Item("B3", "Neutrogena Hydro Boost Water Gel Moisturizer", popularity=12),
        Item("B4", "OPI Nail Lacquer, Big Apple Red", popularity=5),
        Item("B5", "Prada Prada Candy Eau De Parfum Spray for Women, 2.7 Ounce", popularity=3),
    ), kind="products")
