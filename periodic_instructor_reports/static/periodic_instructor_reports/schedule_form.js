// The schedule page: pick courses by typing their id or name, and see where the files will go
// while the folder fields are being filled in.
'use strict';
{
    const $ = django.jQuery;

    function debounce(fn, wait) {
        let timer;
        return function() {
            clearTimeout(timer);
            timer = setTimeout(fn, wait);
        };
    }

    $(function() {
        $('select.pir-course-picker').each(function() {
            const picker = $(this);
            picker.select2({
                ajax: {
                    url: picker.data('autocomplete-url'),
                    dataType: 'json',
                    delay: 250,
                    data: (params) => ({term: params.term, page: params.page}),
                },
                minimumInputLength: 1,
                width: '40em',
                placeholder: gettext('Type part of a course id or name'),
            });
        });

        const preview = $('#pir-folder-preview');
        if (!preview.length) {
            return;
        }
        const refresh = debounce(function() {
            $.get(preview.data('url'), {
                task: $('#id_task').val() || '',
                prefix: $('#id_upload_folder_prefix').val() || '',
                structure: $('#id_upload_folder_structure').val() || '',
                keyword_arguments: $('#id_keyword_arguments').val() || '',
                course_ids: $('#id_course_ids').val() || [],
            }).done((html) => preview.html(html));
        }, 300);
        $('#id_task, #id_upload_folder_prefix, #id_upload_folder_structure, #id_course_ids, #id_keyword_arguments')
            .on('input change', refresh);
    });
}
