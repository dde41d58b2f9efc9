#!/usr/bin/env python3
# Generates src/core/pinyin_initials.inc:  scripts/gen_pinyin_initials.py src/core/pinyin_initials.inc
# GB2312 level-1 hanzi (0xB0A1-0xD7F9) are ordered by pinyin; the first
# character of each initial letter's block is a well-known boundary.
bounds = [(0xB0A1,'a'),(0xB0C5,'b'),(0xB2C1,'c'),(0xB4EE,'d'),(0xB6EA,'e'),(0xB7A2,'f'),(0xB8C1,'g'),
          (0xB9FE,'h'),(0xBBF7,'j'),(0xBFA6,'k'),(0xC0AC,'l'),(0xC2E8,'m'),(0xC4C3,'n'),(0xC5B6,'o'),
          (0xC5BE,'p'),(0xC6DA,'q'),(0xC8BB,'r'),(0xC8F6,'s'),(0xCBFA,'t'),(0xCDDA,'w'),(0xCEF4,'x'),
          (0xD1B9,'y'),(0xD4D1,'z'),(0xD7FA,None)]
out = {}
for hi in range(0xB0, 0xD8):
    for lo in range(0xA1, 0xFF):
        code = hi*256+lo
        if code > 0xD7F9: break
        try: ch = bytes([hi,lo]).decode('gb2312')
        except UnicodeDecodeError: continue
        letter = None
        for (b,l),(nb,_) in zip(bounds, bounds[1:]):
            if b <= code < nb: letter = l
        out[ord(ch)] = letter
print(len(out))
# spot checks
for c,l in [('张','z'),('三','s'),('丫','y'),('李','l'),('王','w'),('阿','a'),('座','z'),('吧','b'),('擦','c'),('搭','d'),('蛾','e'),('发','f'),('噶','g'),('哈','h'),('击','j'),('喀','k'),('垃','l'),('妈','m'),('拿','n'),('哦','o'),('啪','p'),('期','q'),('然','r'),('撒','s'),('塌','t'),('挖','w'),('昔','x'),('压','y'),('匝','z'),('刘','l'),('陈','c'),('杨','y'),('赵','z'),('黄','h'),('周','z'),('吴','w'),('徐','x'),('孙','s'),('胡','h'),('朱','z'),('高','g'),('林','l'),('何','h'),('郭','g'),('马','m'),('罗','l')]:
    assert out[ord(c)] == l, (c, out[ord(c)], l)
import sys
items = sorted(out.items())
with open(sys.argv[1],'w') as f:
    f.write("// Generated from GB2312 level-1 hanzi (ordered by pinyin in the standard) by the\n")
    f.write("// boundary characters of each initial; one line per initial: the characters of\n")
    f.write("// that initial in GB2312 order. Polyphonic surnames get extra initials in pinyin.cc.\n")
    order = {}
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try: ch = bytes([hi,lo]).decode('gb2312')
            except UnicodeDecodeError: continue
            if ord(ch) in out: order.setdefault(out[ord(ch)],[]).append(ch)
    for l in sorted(order):
        s = ''.join(order[l])
        f.write('{\'%s\', "' % l)
        # split into 64-char string literal pieces
        for i in range(0, len(s), 64):
            if i: f.write('"\n      "')
            f.write(s[i:i+64])
        f.write('"},\n')
