# Money in Taiwan and mainland China is written with comma groups of three
# (NT$1,100; ¥1,100); Django's defaults for Chinese use no separator.
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
