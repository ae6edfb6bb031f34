// The function families: strings (with the strings extension), conversions, timestamps with
// time zones, optionals.
#include <gtest/gtest.h>

#include "eval_helpers.hpp"

namespace hf::expr {
namespace {

using testing::Show;

TEST(StringFunctions, Basics) {
  EXPECT_EQ(Show("'hello'.contains('ell') && 'hello'.startsWith('he') && 'hello'.endsWith('lo')"),
            "bool true");
  EXPECT_EQ(Show("'abc-123'.matches('^[a-z]+-\\\\d+$')"), "bool true");
  EXPECT_EQ(Show("matches('abc', 'b')"), "bool true");
  EXPECT_EQ(Show("'x'.matches('(')").starts_with("error: invalid regex '('"), true);
  EXPECT_EQ(Show("size('héllo')"), "int 5");
}

TEST(StringFunctions, Extension) {
  EXPECT_EQ(Show("'héllo'.charAt(1)"), "string \"é\"");
  EXPECT_EQ(Show("'hello'.charAt(5)"), "string \"\"");
  EXPECT_EQ(Show("'hello'.charAt(6)"), "error: index out of range: 6");
  EXPECT_EQ(Show("'hello mellow'.indexOf('llo')"), "int 2");
  EXPECT_EQ(Show("'hello mellow'.indexOf('llo', 3)"), "int 8");
  EXPECT_EQ(Show("'hello mellow'.lastIndexOf('llo')"), "int 8");
  EXPECT_EQ(Show("'hello mellow'.lastIndexOf('llo', 7)"), "int 2");
  EXPECT_EQ(Show("'abc'.indexOf('')"), "int 0");
  EXPECT_EQ(Show("'abc'.lastIndexOf('')"), "int 3");
  EXPECT_EQ(Show("'abc'.indexOf('z')"), "int -1");
  EXPECT_EQ(Show("'TacoCat'.lowerAscii() + 'TacoCÆt'.upperAscii()"), "string \"tacocatTACOCÆT\"");
  EXPECT_EQ(Show("'a.b.c'.replace('.', '/')"), "string \"a/b/c\"");
  EXPECT_EQ(Show("'a.b.c'.replace('.', '/', 1)"), "string \"a/b.c\"");
  EXPECT_EQ(Show("'a,b,c'.split(',')"), "list [\"a\",\"b\",\"c\"]");
  EXPECT_EQ(Show("'a,b,c'.split(',', 2)"), "list [\"a\",\"b,c\"]");
  EXPECT_EQ(Show("'a,b,c'.split(',', 0)"), "list []");
  EXPECT_EQ(Show("'héllo'.substring(1, 3)"), "string \"él\"");
  EXPECT_EQ(Show("'hello'.substring(3)"), "string \"lo\"");
  EXPECT_EQ(Show("'hello'.substring(3, 2)"), "error: invalid substring range: start 3 > end 2");
  EXPECT_EQ(Show("'  \\t hi \\n'.trim()"), "string \"hi\"");
  EXPECT_EQ(Show("['a', 'b'].join()"), "string \"ab\"");
  EXPECT_EQ(Show("['a', 'b'].join(', ')"), "string \"a, b\"");
  EXPECT_EQ(Show("['a', 1].join()"), "error: join: list element 1 is not a string");
  EXPECT_EQ(Show("'héllo'.reverse()"), "string \"olléh\"");
  EXPECT_EQ(Show("strings.quote('a\"b\\n')"), "string \"\\\"a\\\\\\\"b\\\\n\\\"\"");
}

TEST(StringFunctions, Format) {
  EXPECT_EQ(Show("'%s and %d'.format(['x', 3])"), "string \"x and 3\"");
  EXPECT_EQ(Show("'%.2f|%f|%e'.format([3.14159, 1, 1234.5])"),
            "string \"3.14|1.000000|1.234500e+03\"");
  EXPECT_EQ(Show("'%x %X %o %b'.format([255, 255u, 8, 5])"), "string \"ff FF 10 101\"");
  EXPECT_EQ(Show("'%x'.format(['hi'])"), "string \"6869\"");
  EXPECT_EQ(Show("'%s'.format([[1, 'a', null]])"), "string \"[1, a, null]\"");
  EXPECT_EQ(Show("'%s'.format([{'b': 1, 'a': 2}])"), "string \"{a: 2, b: 1}\"");
  EXPECT_EQ(Show("'%s %s'.format([duration('90s'), timestamp(0)])"),
            "string \"90s 1970-01-01T00:00:00Z\"");
  EXPECT_EQ(Show("'100%%'.format([])"), "string \"100%\"");
  EXPECT_EQ(Show("'%f'.format([double('NaN')])"), "string \"NaN\"");
  EXPECT_EQ(Show("'%s %s'.format([1])"), "error: format: index 1 out of range (1 arguments)");
  EXPECT_EQ(Show("'%d'.format(['x'])"), "error: format: %d does not take string");
  EXPECT_EQ(Show("'%q'.format([1])"), "error: format: unknown clause %q");
}

TEST(Conversions, RoundTrips) {
  EXPECT_EQ(Show("int('42') + int(2.9) + int(42u)"), "int 86");
  EXPECT_EQ(Show("int('x')"), "error: cannot convert 'x' to int");
  EXPECT_EQ(Show("int(1e20)"), "error: int range error: double out of range");
  EXPECT_EQ(Show("uint(-1)"), "error: uint range error: -1");
  EXPECT_EQ(Show("string(1.5) + string(2) + string(true) + string(b'x')"), "string \"1.52truex\"");
  EXPECT_EQ(Show("string(1e21)"), "string \"1e+21\"");
  EXPECT_EQ(Show("bytes('é')"), "bytes \"w6k=\"");
  EXPECT_EQ(Show("bool('yes')"), "error: type conversion error: cannot convert 'yes' to bool");
  EXPECT_EQ(Show("double('1e3') + double(1) + double(1u)"), "double 1002.0");
  EXPECT_EQ(Show("type(1) == int && type('a') == string && type(int) == type"), "bool true");
  EXPECT_EQ(Show("dyn(1) + 1"), "int 2");
}

TEST(Timestamps, ArithmeticAndGetters) {
  EXPECT_EQ(Show("timestamp('2026-01-02T03:04:05Z') + duration('1h30m')"),
            "timestamp \"2026-01-02T04:34:05Z\"");
  EXPECT_EQ(Show("timestamp('2026-01-02T03:04:05+01:00')"), "timestamp \"2026-01-02T02:04:05Z\"");
  EXPECT_EQ(Show("timestamp('2026-01-02T00:00:00Z') - timestamp('2026-01-01T00:00:00Z')"),
            "duration \"86400s\"");
  EXPECT_EQ(Show("duration('1.5s') < duration('2s') && duration('-1ms') < duration('0s')"),
            "bool true");
  EXPECT_EQ(Show("timestamp('bad')").starts_with("error: invalid timestamp 'bad'"), true);
  EXPECT_EQ(Show("duration('5x')").starts_with("error: invalid duration '5x'"), true);
  const std::string t = "timestamp('2026-07-01T22:30:00Z')";
  EXPECT_EQ(Show(t + ".getHours()"), "int 22");
  EXPECT_EQ(Show(t + ".getHours('Europe/Paris')"), "int 0");  // summer time, +02:00
  EXPECT_EQ(Show(t + ".getDate('Europe/Paris')"), "int 2");
  EXPECT_EQ(Show(t + ".getHours('+05:30')"), "int 4");
  EXPECT_EQ(Show(t + ".getMinutes('+05:30')"), "int 0");
  EXPECT_EQ(Show(t + ".getHours('-03:00')"), "int 19");
  EXPECT_EQ(Show("timestamp('2026-01-15T22:30:00Z').getHours('Europe/Paris')"), "int 23");
  EXPECT_EQ(Show(t + ".getMonth() + " + t + ".getDayOfYear() + " + t + ".getDayOfWeek()"),
            "int 190");  // month 6 (0-based), day 181 (0-based), Wednesday 3
  EXPECT_EQ(Show(t + ".getHours('Mars/Olympus')"), "error: unknown time zone 'Mars/Olympus'");
  // A folder of the tz database, not a zone (found by the expr fuzzer: the read threw).
  EXPECT_EQ(Show(t + ".getHours('Europe')"), "error: unknown time zone 'Europe'");
  EXPECT_EQ(Show(t + ".getHours('../../etc/passwd')"),
            "error: unknown time zone '../../etc/passwd'");
  EXPECT_EQ(Show("duration('3h25m').getMinutes()"), "int 205");
}

TEST(Optionals, Functions) {
  EXPECT_EQ(Show("optional.of(1).value() + optional.none().orValue(2)"), "int 3");
  EXPECT_EQ(Show("optional.none().value()"), "error: optional.none() has no value");
  EXPECT_EQ(Show("optional.ofNonZeroValue('').hasValue()"), "bool false");
  EXPECT_EQ(Show("optional.none().or(optional.of(5)).value()"), "int 5");
  EXPECT_EQ(Show("[1, ?optional.none(), ?optional.of(3)]"), "list [1,3]");
  EXPECT_EQ(Show("{'a': 1, ?'b': optional.none(), ?'c': optional.of(2)}"), "map {\"a\":1,\"c\":2}");
  EXPECT_EQ(Show("optional.of(2).optMap(x, x * 10).value()"), "int 20");
  EXPECT_EQ(Show("x.?a.?b.orValue('none')", {{"x", {{"a", nlohmann::json::object()}}}}),
            "string \"none\"");
}

}  // namespace
}  // namespace hf::expr
