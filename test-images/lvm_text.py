"""Shared by linux-vm/make.sh and lvm/make.sh: logical volumes added to a VG's metadata text (as
vgcfgbackup wrote it for the VG without LVs) in the form LVM2 writes them, for vgcfgrestore to
check and write. Each LV: (name, lvid, segments); a segment: (start_extent, extent_count,
stripe_size in sectors or 0, [(pv, first PE), ...]), one pair per stripe."""


def lv_section(name, lvid, creation_time, segments):
    out = [f'\t\t{name} {{', f'\t\t\tid = "{lvid}"', '\t\t\tstatus = ["READ", "WRITE", "VISIBLE"]', '\t\t\tflags = []',
           f'\t\t\tcreation_time = {creation_time}', '\t\t\tcreation_host = "grt"', f'\t\t\tsegment_count = {len(segments)}', '']
    for i, (start, count, stripe_size, stripes) in enumerate(segments, 1):
        out += [f'\t\t\tsegment{i} {{', f'\t\t\t\tstart_extent = {start}', f'\t\t\t\textent_count = {count}', '',
                '\t\t\t\ttype = "striped"', f'\t\t\t\tstripe_count = {len(stripes)}']
        if len(stripes) > 1:
            out.append(f'\t\t\t\tstripe_size = {stripe_size}')
        out += ['', '\t\t\t\tstripes = [', ',\n'.join(f'\t\t\t\t\t"{pv}", {pe}' for pv, pe in stripes), '\t\t\t\t]', '\t\t\t}']
    out.append('\t\t}')
    return '\n'.join(out)


def add_lvs(empty_path, full_path, creation_time, lvs):
    """Write `full_path`: the text of `empty_path` with a logical_volumes section after its last one."""
    text = open(empty_path).read()
    sections = '\n'.join(lv_section(name, lvid, creation_time, segments) for name, lvid, segments in lvs)
    i = text.rindex('\t}\n')
    open(full_path, 'w').write(text[:i + 3] + '\n\tlogical_volumes {\n\n' + sections + '\n\t}\n' + text[i + 3:])
