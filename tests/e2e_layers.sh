#!/usr/bin/env bash
# The library's layers depend one way: base < core < decode < text <
# {eval, embed} < train, eval and embed not on each other. Checked twice:
# every #include between the library's files (and no cycle among files),
# and every symbol an object file needs from another, read with nm from
# the objects in $B (so a call through the public header cannot hide).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
B=${B:-build}
rank='base 0 core 1 decode 2 text 3 eval 4 embed 4 train 5'

check "includes point down the layers, no cycles" perl -e '
    my %rank = split " ", $ARGV[0];
    my (%inc, %layer);
    for my $f (glob("src/*/*.[ch] train/*.[ch]")) {
        my ($l) = $f =~ m{^src/(\w+)/} ? ($1) : ("train");
        $layer{$f} = $l;
        open my $h, "<", $f or die "$f: $!";
        while (<$h>) {
            next unless /^\s*#\s*include\s+"([^"]+)"/;
            my $t = $1;
            (my $dir = $f) =~ s{[^/]+$}{};
            my $p = "$dir$t";
            1 while $p =~ s{[^/]+/\.\./}{};
            next if $p eq "include/nerkit.h" || $t eq "nerkit.h" || $p =~ m{^cli/};
            die "$f includes $t, which is not a file\n" unless -f $p;
            push @{$inc{$f}}, $p;
        }
    }
    my $bad = 0;
    for my $f (sort keys %inc) {
        for my $t (@{$inc{$f}}) {
            my ($a, $b) = ($layer{$f}, $layer{$t} // "?");
            next if $a eq $b;
            if (!defined $rank{$b} || $rank{$b} >= $rank{$a}) {
                print STDERR "$f ($a) includes $t ($b)\n"; $bad = 1;
            }
        }
    }
    my %state;
    my $visit; $visit = sub {
        my ($f, @path) = @_;
        return if ($state{$f} // 0) == 2;
        if (($state{$f} // 0) == 1) { print STDERR "include cycle: @path $f\n"; $bad = 1; return }
        $state{$f} = 1;
        $visit->($_, @path, $f) for @{$inc{$f} // []};
        $state{$f} = 2;
    };
    $visit->($_) for sort keys %inc;
    exit $bad' "$rank"

# symbols: which layer defines each, then what each layer's objects need
objs=$(ls "$B"/src/*/*.o "$B"/train/*.o 2>/dev/null | grep -v '/nerkit-train\.o$')
if [ -z "$objs" ]; then
    bad "no object files under $B (build first)"
else
    for o in $objs; do
        l=$(echo "$o" | sed -n "s|^$B/src/\([a-z]*\)/.*|\1|p"); l=${l:-train}
        nm --defined-only "$o" | awk -v l="$l" '$2 ~ /[TDBR]/ && $3 ~ /^(nk_|nerkit_|crf_)/ { print $3, l }'
    done > "$tmp/defs"
    for o in $objs; do
        l=$(echo "$o" | sed -n "s|^$B/src/\([a-z]*\)/.*|\1|p"); l=${l:-train}
        nm -u "$o" | awk -v l="$l" -v o="$o" '$2 ~ /^(nk_|nerkit_|crf_)/ { print $2, l, o }'
    done > "$tmp/uses"
    check "symbols point down the layers" perl -e '
        my %rank = split " ", $ARGV[0];
        open my $d, "<", $ARGV[1] or die; my %def = map { split } <$d>;
        open my $u, "<", $ARGV[2] or die; my $bad = 0;
        while (<$u>) {
            my ($sym, $l, $o) = split;
            my $at = $def{$sym} // next;
            next if $at eq $l;
            if ($rank{$at} >= $rank{$l}) { print STDERR "$o ($l) uses $sym of $at\n"; $bad = 1 }
        }
        exit $bad' "$rank" "$tmp/defs" "$tmp/uses"
fi
finish e2e_layers
