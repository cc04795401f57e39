import sys, matcalc
def fails(s, let, key, inp):
    try: matcalc.show(s, let=let, input=inp); return False
    except matcalc.MatcalcError as e: return key in str(e)
    except Exception as e: return key in f"{type(e).__name__}: {e}"
def minimize(s, let, key, inp="text"):
    assert fails(s, let, key, inp)
    changed=True
    while changed:
        changed=False
        for size in (16,8,4,3,2,1):
            i=0
            while i+size<=len(s):
                t=s[:i]+s[i+size:]
                if t.strip() and fails(t, let, key, inp): s=t; changed=True
                else: i+=1
    return s
if __name__=="__main__":
    s=sys.argv[1]; let=sys.argv[2].split() if sys.argv[2] else []; key=sys.argv[3]; inp=sys.argv[4] if len(sys.argv)>4 else "text"
    m=minimize(s,let,key,inp); print(repr(m))
    try: matcalc.show(m, let=let, input=inp)
    except Exception as e: print(e)
