#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""How many instructions of a loaded program a non-NTP frame executes, up to
its exit (or the first helper call): docs/performance.md. Walks the text of
`bpftool prog dump xlated` with the frame's bytes; only what the parser's
early exits use (ALU, loads, jumps) is modelled.
usage: xlated_path.py DUMP xdp|tc arp|tcp4|icmp4|udp4|udp6   (TRACE=1: each
instruction)"""
import re, sys, struct
M=(1<<64)-1
def frame(kind):
    eth=b'\x02'*12
    if kind in('tcp4','udp4','icmp4'):
        proto={'tcp4':6,'udp4':17,'icmp4':1}[kind]
        l4=struct.pack('>HHHH',40123,53,8+18,0)+b'\0'*18 if proto==17 else b'\0'*20
        ip=struct.pack('>BBHHHBBH4s4s',0x45,0,20+len(l4),0,0,64,proto,0,b'\n\0\0\1',b'\n\0\0\2')
        return eth+b'\x08\x00'+ip+l4
    if kind=='udp6':
        l4=struct.pack('>HHHH',40123,53,8+18,0)+b'\0'*18
        ip=struct.pack('>IHBB16s16s',0x60000000,len(l4),17,64,b'\1'*16,b'\2'*16)
        return eth+b'\x86\xdd'+ip+l4
    if kind=='arp': return eth+b'\x08\x06'+b'\0'*28
P=0x100000
import os
TR=os.environ.get("TRACE")
def run(path,hook,kind):
    pkt=frame(kind)
    ins={}
    for l in open(path):
        m=re.match(r'\s*(\d+): \((\w\w)\) (.*)',l)
        if m: ins[int(m.group(1))]=(m.group(2),m.group(3))
    keys=sorted(ins); nxt={k:keys[i+1] for i,k in enumerate(keys[:-1])}
    r={1:('ctx',0),10:('fp',0)}
    def val(x):
        x=x.strip()
        if re.match(r'[rw]\d+$',x):
            v=r.get(int(x[1:]),0)
            if x[0]=='w' and isinstance(v,int): v&=0xffffffff
            return v
        return int(x,0)&M
    def load(base,off,size):
        if isinstance(base,tuple):
            kind_,o=base; o+=off
            if kind_=='ctx':
                if hook=='xdp': return {0:P,8:P+len(pkt)}[o] if o in(0,8) else 1
                return {200:P,80:P+len(pkt),112:len(pkt)}.get(o,1)
            if kind_=='map': return 0x7b00 if size==2 else 0
            if kind_=='fp': return 0
        a=base+off-P
        assert 0<=a and a+size<=len(pkt),('oob',a)
        return int.from_bytes(pkt[a:a+size],'little')
    pc=0;n=0
    while True:
        op,t=ins[pc]; n+=1
        if TR: print("%4d: (%s) %s"%(pc,op,t))
        if op=='95': return n,pc,'exit'
        if op=='85': return n,pc,'call '+t
        m=re.match(r'if ([rw]\d+) (\S+) (\S+) goto pc([+-]\d+)',t)
        if m:
            a=val(m.group(1)); b=val(m.group(3)); c=m.group(2)
            if isinstance(a,tuple) or isinstance(b,tuple): raise Exception('ptr cmp %s'%t)
            sa=a-(1<<64) if a>>63 else a; sb=b-(1<<64) if b>>63 else b
            res={'==':a==b,'!=':a!=b,'>':a>b,'>=':a>=b,'<':a<b,'<=':a<=b,'s>':sa>sb,'s<':sa<sb,'s>=':sa>=sb,'s<=':sa<=sb,'&':bool(a&b)}[c]
            pc=pc+1+int(m.group(4)) if res else nxt[pc]
            # ld_imm64 occupies 2 slots: pc+N counts slots; keys handle it
            if pc not in ins: raise Exception('bad pc %d'%pc)
            continue
        m=re.match(r'goto pc([+-]\d+)',t)
        if m: pc=pc+1+int(m.group(1)); continue
        m=re.match(r'([rw])(\d+) = \*\(u(\d+) \*\)\(r(\d+) ([+-]\d+)\)',t)
        if m:
            r[int(m.group(2))]=load(r.get(int(m.group(4))),int(m.group(5)),int(m.group(3))//8); pc=nxt[pc]; continue
        m=re.match(r'\*\(u\d+ \*\)',t)
        if m: pc=nxt[pc]; continue
        m=re.match(r'r(\d+) = map\[id:\d+\]\[0\]\+(\d+)',t)
        if m: r[int(m.group(1))]=('map',int(m.group(2))); pc=nxt[pc]; continue
        m=re.match(r'r(\d+) = map\[id:\d+\]',t)
        if m: r[int(m.group(1))]=('map',0); pc=nxt[pc]; continue
        m=re.match(r'([rw])(\d+) = (be|le)(\d+) ([rw]\d+)',t)
        if m:
            v=val(m.group(5)); bits=int(m.group(4))
            v&=(1<<bits)-1
            if m.group(3)=='be': v=int.from_bytes(v.to_bytes(bits//8,'little'),'big')
            r[int(m.group(2))]=v; pc=nxt[pc]; continue
        m=re.match(r'([rw])(\d+) (\S*)= (\S+)$',t)
        if m:
            d=int(m.group(2)); o=m.group(3); s=m.group(4)
            if o=='' :
                v=val(s)
            else:
                a=r.get(d,0); b=val(s)
                if isinstance(a,tuple):
                    assert o in('+','-'); v=(a[0],a[1]+(b if o=='+' else -b))
                elif isinstance(b,tuple):
                    v=b if a==0 else None
                else:
                    if o in('<<','>>','s>>'): b&=63
                    v={'+':lambda:a+b,'-':lambda:a-b,'&':lambda:a&b,'|':lambda:a|b,'^':lambda:a^b,'<<':lambda:a<<b,'>>':lambda:a>>b,'*':lambda:a*b,'s>>':lambda:(a-(1<<64) if a>>63 else a)>>b}[o]()
            if isinstance(v,int):
                v&=M
                if m.group(1)=='w': v&=0xffffffff
            r[d]=v; pc=nxt[pc]; continue
        raise Exception('unknown %s %s'%(op,t))
if __name__=='__main__':
    print(*run(sys.argv[1],sys.argv[2],sys.argv[3]))
