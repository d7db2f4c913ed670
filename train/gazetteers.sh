#!/bin/sh
# The gazetteer of the shipped English model: chosen lists of
# $NER_DATA/gazetteers, whose licences let the model be redistributed
# freely, as one phrase<TAB>LIST file for nerkit-train --gazetteer.
#
#   PERSON_FIRST  US Census 1990 first names (public domain)
#   PERSON_LAST   US Census 1990 surnames (public domain)
#   COUNTRY       mledoze/countries common and official names (ODbL)
#   NATIONALITY   mledoze/countries English demonyms (ODbL)
#   CITY          GeoNames cities over 15,000 people (CC BY 4.0)
#   REGION        GeoNames first-level divisions of those cities (CC BY 4.0)
#   LOCATION      GROBID's Wikipedia locations (Apache-2.0)
#   ORGANIZATION  GROBID's Wikipedia organisations (Apache-2.0)
#   COMPANY       GROBID's corporations (Apache-2.0)
#
# usage: train/gazetteers.sh OUT [VOCABULARY-FILE...]
# With vocabulary files (any text), a phrase is kept only when each of its
# words occurs in them: the model then carries only phrases it could have
# learned from or that its unlabelled text knows.
set -eu
out=${1:?usage: gazetteers.sh OUT [VOCABULARY-FILE...]}
shift
G=${NER_DATA:-../shared/data}/gazetteers
for f in "$G/census1990/dist.all.last" "$G/mledoze_countries/countries.json" \
         "$G/geonames_world_cities/world-cities.csv" "$G/grobid_lexicon/places/WikiLocations.lst"; do
    [ -r "$f" ] || { echo "gazetteers.sh: cannot read $f" >&2; exit 1; }
done
tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT
perl -CSD -MJSON::PP -e '
use strict; use warnings;
my ($g, @vocab) = @ARGV;
my %seen;
# capitalised word by word: the census and corporation lists are in
# capitals, and the exact-case features should see the usual casing
sub title { my $s = lc shift; $s =~ s/(^|[\s\-.\x27])(\w)/$1\u$2/g; $s }
sub put {
    my ($list, $p) = @_;
    $p =~ s/^\s+|\s+$//g;
    $p =~ s/\s+/ /g;
    return if $p eq "" || $p =~ /\t/ || $seen{"$list\t$p"}++;
    print "$p\t$list\n";
}
sub lines { my $f = shift; open my $h, "<", $f or die "$f: $!\n"; my @l = <$h>; chomp @l; @l }
for my $k (["dist.male.first", "PERSON_FIRST"], ["dist.female.first", "PERSON_FIRST"],
           ["dist.all.last", "PERSON_LAST"]) {
    put($k->[1], title((split " ", $_)[0] // "")) for lines("$g/census1990/$k->[0]");
}
my $c = decode_json(join "", lines("$g/mledoze_countries/countries.json"));
for my $x (@$c) {
    put("COUNTRY", $x->{name}{$_}) for qw(common official);
    put("COUNTRY", $_) for grep { length > 3 } @{$x->{altSpellings} || []};
    put("NATIONALITY", $x->{demonyms}{eng}{$_} // "") for qw(m f);
}
for (lines("$g/geonames_world_cities/world-cities.csv")) {
    next if /^name,country,subcountry,geonameid$/;
    my @f = /("[^"]*"|[^,]*)(?:,|$)/g;
    s/^"|"$//g for @f;
    put("CITY", $f[0]);
    put("REGION", $f[2]) if defined $f[2];
}
put("LOCATION", $_) for lines("$g/grobid_lexicon/places/WikiLocations.lst");
put("ORGANIZATION", $_) for lines("$g/grobid_lexicon/organisations/WikiOrganizations.lst");
put("COMPANY", title($_)) for lines("$g/grobid_lexicon/organisations/corporations.txt");
' "$G" > "$tmp"
if [ $# -gt 0 ]; then
    # words as any tokenizer would cut them: runs of letters and digits
    perl -CSD -e '
    my %v;
    for my $f (@ARGV[1..$#ARGV]) {
        open my $h, "<", $f or die "$f: $!\n";
        while (<$h>) { $v{lc $1} = 1 while /(\w+)/g }
    }
    open my $h, "<", $ARGV[0] or die;
    while (<$h>) {
        my ($p) = split /\t/;
        my $ok = 1;
        while ($p =~ /(\w+)/g) { $ok = 0, last unless $v{lc $1} }
        print if $ok;
    }' "$tmp" "$@" > "$out"
else
    mv "$tmp" "$out"
fi
